using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2.Ops;

/// <summary>
/// upfirdn2d: upsample by zero insertion, pad (crop where negative), convolve with a 2-D FIR filter, downsample.
/// <see cref="Apply(Tensor, Tensor, int, int, ValueTuple{int, int})"/> is the generic reference path of
/// rosinality's CPU fallback; <see cref="Filter"/> and <see cref="Upsample"/> are the cheap forms StyleGAN2's
/// synthesis uses (a depthwise conv and a depthwise transposed conv), equal to the generic path up to rounding.
/// </summary>
public static class Upfirdn2d
{
    /// <summary>The same up/down factor and (pad0, pad1) on both axes, as rosinality's <c>upfirdn2d(x, k, up, down, pad)</c>.</summary>
    public static Tensor Apply(Tensor x, Tensor kernel, int up = 1, int down = 1, (int Pad0, int Pad1) pad = default) =>
        Apply(x, kernel, (up, up), (down, down), (pad.Pad0, pad.Pad1, pad.Pad0, pad.Pad1));

    /// <summary>
    /// Generic path, per axis: insert up−1 zeros after every sample, pad (or crop, if negative) pad0 before and pad1
    /// after, convolve with <paramref name="kernel"/> (a true convolution: the kernel is flipped), keep every
    /// down-th sample. Output size per axis: (size·up + pad0 + pad1 − k) / down + 1. x: [N, C, H, W], kernel: [kh, kw].
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor kernel, (int X, int Y) up, (int X, int Y) down, (int X0, int X1, int Y0, int Y1) pad)
    {
        if (x.dim() != 4 || kernel.dim() != 2)
            throw new ArgumentException($"expected x [N, C, H, W] and kernel [kh, kw], got [{string.Join(", ", x.shape)}] and [{string.Join(", ", kernel.shape)}]");
        if (up.X < 1 || up.Y < 1 || down.X < 1 || down.Y < 1)
            throw new ArgumentOutOfRangeException(nameof(up), "up and down factors must be at least 1");
        using var scope = NewDisposeScope();
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        long kh = kernel.size(0), kw = kernel.size(1);

        // zero insertion: [NC, H, 1, W, 1] padded to [NC, H, upY, W, upX]
        var t = x.reshape(n * c, h, 1, w, 1);
        if (up.X > 1 || up.Y > 1)
            t = Functional.Pad(t, [0, up.X - 1, 0, 0, 0, up.Y - 1]);
        t = t.reshape(n * c, 1, h * up.Y, w * up.X);

        t = Functional.Pad(t, [Math.Max(pad.X0, 0), Math.Max(pad.X1, 0), Math.Max(pad.Y0, 0), Math.Max(pad.Y1, 0)]);
        t = t.slice(2, Math.Max(-pad.Y0, 0), t.size(2) - Math.Max(-pad.Y1, 0), 1);
        t = t.slice(3, Math.Max(-pad.X0, 0), t.size(3) - Math.Max(-pad.X1, 0), 1);

        var flipped = kernel.to(x.dtype).flip(0, 1).reshape(1, 1, kh, kw);
        t = Functional.Conv2d(t, flipped);
        if (down.X > 1 || down.Y > 1)
            t = t.slice(2, 0, long.MaxValue, down.Y).slice(3, 0, long.MaxValue, down.X);
        return t.reshape(n, c, t.size(2), t.size(3)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// up = down = 1 as one depthwise convolution (groups = C) with the flipped kernel, with an optional per-channel
    /// bias folded in. Equals <c>Apply(x, kernel, pad: pad)</c> plus the bias.
    /// </summary>
    public static Tensor Filter(Tensor x, Tensor kernel, (int Pad0, int Pad1) pad, Tensor? bias = null)
    {
        using var scope = NewDisposeScope();
        long c = x.size(1);
        var weight = DepthwiseWeight(kernel, c, x.dtype);
        var input = x;
        long padding = pad.Pad0;
        if (pad.Pad0 != pad.Pad1 || pad.Pad0 < 0)
        {
            input = Functional.Pad(x, [pad.Pad0, pad.Pad1, pad.Pad0, pad.Pad1]);
            padding = 0;
        }

        var b = bias?.to(x.dtype);
        return Functional.Conv2d(input, weight, b, 1, padding, 1, c).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// up = <paramref name="factor"/>, down = 1 as one transposed convolution per channel (stride = factor, the kernel
    /// unflipped): upfirdn2d(up=s, pad=(a, b)) with a k-tap kernel is conv_transpose2d(stride s, padding k−1−a,
    /// output_padding b−a+s−1). Falls back to <see cref="Apply(Tensor, Tensor, int, int, ValueTuple{int, int})"/>
    /// where those are out of range.
    /// </summary>
    public static Tensor Upsample(Tensor x, Tensor kernel, int factor, (int Pad0, int Pad1) pad)
    {
        long k = kernel.size(0);
        long padding = k - 1 - pad.Pad0;
        long outputPadding = pad.Pad1 - pad.Pad0 + factor - 1;
        if (kernel.size(1) != k || padding < 0 || outputPadding < 0 || outputPadding >= factor)
            return Apply(x, kernel, factor, 1, pad);

        // Channels folded into the batch against one [1, 1, k, k] kernel: libtorch runs a grouped transposed conv
        // group by group, which is several times slower for this single-channel work.
        using var scope = NewDisposeScope();
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        var weight = kernel.to(x.dtype).reshape(1, 1, k, k);
        var output = Functional.ConvTranspose2d(x.reshape(n * c, 1, h, w), weight, null, factor, padding, outputPadding);
        return output.view(n, c, output.size(2), output.size(3)).MoveToOuterDisposeScope();
    }

    // [C, 1, kh, kw]: the flipped kernel for every channel (conv2d correlates; upfirdn2d convolves).
    private static Tensor DepthwiseWeight(Tensor kernel, long channels, ScalarType dtype)
    {
        var k = kernel.to(dtype).flip(0, 1);
        return k.reshape(1, 1, kernel.size(0), kernel.size(1)).expand(channels, 1, kernel.size(0), kernel.size(1)).contiguous();
    }
}
