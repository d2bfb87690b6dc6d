namespace StyleBridge.Torch;

/// <summary>
/// The few <c>torch.nn.functional</c> calls our models make, with PyTorch's scalar-argument forms (one stride, one
/// padding for both axes), over TorchSharp's array-argument ones.
/// </summary>
public static class Functional
{
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1) =>
        nn.functional.conv2d(input, weight, bias, [stride, stride], [padding, padding], [dilation, dilation], groups);

    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long outputPadding = 0, long groups = 1) =>
        nn.functional.conv_transpose2d(input, weight, bias, [stride, stride], [padding, padding], [outputPadding, outputPadding], [1, 1], groups);

    /// <summary>Zero padding, last dimension first (PyTorch's <c>F.pad</c> order).</summary>
    public static Tensor Pad(Tensor input, long[] pad) => nn.functional.pad(input, pad);

    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) => nn.functional.linear(input, weight, bias);

    /// <summary>
    /// <c>input + batch1 @ batch2</c> in one libtorch call. TorchSharp 0.107's <c>torch.baddbmm(input, batch1, batch2)</c>
    /// hands its arguments to libtorch rotated (it computes with <c>input</c> as the first matrix), and the instance
    /// form is affected the same way, so the call below passes them in the order that reaches libtorch correctly.
    /// <c>FunctionalTests.BaddbmmAddsTheBatchedProduct</c> pins this down: it fails if TorchSharp changes.
    /// </summary>
    public static Tensor Baddbmm(Tensor input, Tensor batch1, Tensor batch2) => torch.baddbmm(batch1, batch2, input);

    public static Tensor Softmax(Tensor input, long dim) => nn.functional.softmax(input, dim);

    public static bool IsCuda(this Device device) => device.type == DeviceType.CUDA;

    /// <summary>A float32 tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromArray(float[] values, params long[] shape) => tensor(values, shape);

    /// <summary>A float64 tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromArray(double[] values, params long[] shape) => tensor(values, shape);
}
