using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

public enum InterpolationMode
{
    Nearest = 0,
    Bilinear = 1,
    Bicubic = 2,
    Area = 3,
}

public enum PaddingMode
{
    Constant = 0,
    Reflect = 1,
    Replicate = 2,
    Circular = 3,
}

public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>torch.nn.functional and friends.</summary>
public static class Functional
{
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        using var b = new BorrowedHandle(bias);
        Status.Check(NativeMethods.sb_linear(input.Handle, weight.Handle, b.Ptr, out IntPtr r));
        return Tensor.Wrap(r);
    }

    /// <summary>beta * input + alpha * (a @ b).</summary>
    public static Tensor Addmm(Tensor input, Tensor a, Tensor b, double beta = 1, double alpha = 1)
    {
        Status.Check(NativeMethods.sb_addmm(input.Handle, a.Handle, b.Handle, beta, alpha, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor Baddbmm(Tensor input, Tensor a, Tensor b, double beta = 1, double alpha = 1)
    {
        Status.Check(NativeMethods.sb_baddbmm(input.Handle, a.Handle, b.Handle, beta, alpha, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static unsafe Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, (long H, long W)? stride = null,
        (long H, long W)? padding = null, (long H, long W)? dilation = null, long groups = 1)
    {
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        var d = dilation ?? (1, 1);
        long* ps = stackalloc long[] { s.H, s.W };
        long* pp = stackalloc long[] { p.H, p.W };
        long* pd = stackalloc long[] { d.H, d.W };
        using var b = new BorrowedHandle(bias);
        Status.Check(NativeMethods.sb_conv2d(input.Handle, weight.Handle, b.Ptr, ps, pp, pd, groups, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding, long dilation = 1, long groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    public static unsafe Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, (long H, long W)? stride = null,
        (long H, long W)? padding = null, (long H, long W)? outputPadding = null, long groups = 1, (long H, long W)? dilation = null)
    {
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        var o = outputPadding ?? (0, 0);
        var d = dilation ?? (1, 1);
        long* ps = stackalloc long[] { s.H, s.W };
        long* pp = stackalloc long[] { p.H, p.W };
        long* po = stackalloc long[] { o.H, o.W };
        long* pd = stackalloc long[] { d.H, d.W };
        using var b = new BorrowedHandle(bias);
        Status.Check(NativeMethods.sb_conv_transpose2d(input.Handle, weight.Handle, b.Ptr, ps, pp, po, groups, pd, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long outputPadding = 0, long groups = 1) =>
        ConvTranspose2d(input, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), groups);

    public static Tensor Softmax(Tensor input, int dim, ScalarType? dtype = null)
    {
        Status.Check(NativeMethods.sb_softmax(0, input.Handle, dim, dtype is null ? -1 : (int)dtype.Value, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor LogSoftmax(Tensor input, int dim, ScalarType? dtype = null)
    {
        Status.Check(NativeMethods.sb_softmax(1, input.Handle, dim, dtype is null ? -1 : (int)dtype.Value, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static unsafe Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        using var w = new BorrowedHandle(weight);
        using var b = new BorrowedHandle(bias);
        IntPtr r;
        fixed (long* s = normalizedShape)
            Status.Check(NativeMethods.sb_layer_norm(input.Handle, s, normalizedShape.Length, w.Ptr, b.Ptr, eps, out r));
        return Tensor.Wrap(r);
    }

    public static Tensor GroupNorm(Tensor input, long groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        using var w = new BorrowedHandle(weight);
        using var b = new BorrowedHandle(bias);
        Status.Check(NativeMethods.sb_group_norm(input.Handle, groups, w.Ptr, b.Ptr, eps, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor Gelu(Tensor input, bool tanhApproximation = false) => input.Gelu(tanhApproximation);

    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => input.LeakyRelu(negativeSlope);

    public static Tensor CosineSimilarity(Tensor a, Tensor b, int dim = 1, double eps = 1e-8)
    {
        Status.Check(NativeMethods.sb_cosine_similarity(a.Handle, b.Handle, dim, eps, out IntPtr r));
        return Tensor.Wrap(r);
    }

    /// <summary>
    /// Resizes the spatial dims of an NCHW tensor. <paramref name="alignCorners"/> null leaves PyTorch's default
    /// (false). Area is adaptive average pooling, as in PyTorch.
    /// </summary>
    public static Tensor Interpolate(Tensor input, (long H, long W) size, InterpolationMode mode = InterpolationMode.Nearest,
        bool? alignCorners = null, bool antialias = false)
    {
        if (alignCorners is not null && mode is InterpolationMode.Nearest or InterpolationMode.Area)
            throw new ArgumentException("align_corners applies to bilinear and bicubic only", nameof(alignCorners));
        int ac = alignCorners is null ? -1 : alignCorners.Value ? 1 : 0;
        Status.Check(NativeMethods.sb_interpolate(input.Handle, size.H, size.W, (int)mode, ac, antialias ? (byte)1 : (byte)0, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static unsafe Tensor AvgPool2d(Tensor input, (long H, long W) kernel, (long H, long W)? stride = null,
        (long H, long W)? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        var s = stride ?? kernel;
        var p = padding ?? (0, 0);
        long* pk = stackalloc long[] { kernel.H, kernel.W };
        long* ps = stackalloc long[] { s.H, s.W };
        long* pp = stackalloc long[] { p.H, p.W };
        Status.Check(NativeMethods.sb_avg_pool2d(input.Handle, pk, ps, pp, ceilMode ? (byte)1 : (byte)0, countIncludePad ? (byte)1 : (byte)0, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor AvgPool2d(Tensor input, long kernel) => AvgPool2d(input, (kernel, kernel));

    public static Tensor AdaptiveAvgPool2d(Tensor input, (long H, long W) outputSize)
    {
        Status.Check(NativeMethods.sb_adaptive_avg_pool2d(input.Handle, outputSize.H, outputSize.W, out IntPtr r));
        return Tensor.Wrap(r);
    }

    /// <summary>torch.nn.functional.pad: <paramref name="pads"/> run from the last dim backwards, (before, after) each.</summary>
    public static unsafe Tensor Pad(Tensor input, long[] pads, PaddingMode mode = PaddingMode.Constant, double value = 0)
    {
        IntPtr r;
        fixed (long* p = pads)
            Status.Check(NativeMethods.sb_pad(input.Handle, p, pads.Length, (int)mode, value, out r));
        return Tensor.Wrap(r);
    }

    public static Tensor Embedding(Tensor indices, Tensor weight)
    {
        Status.Check(NativeMethods.sb_embedding(weight.Handle, indices.Handle, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Status.Check(NativeMethods.sb_mse_loss(input.Handle, target.Handle, (int)reduction, out IntPtr r));
        return Tensor.Wrap(r);
    }
}
