using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// FIR low-pass after the transposed up-conv: upfirdn2d(kernel · factor², pad), run as a depthwise convolution.
/// The buffer <c>kernel</c> holds the gain (rosinality bakes factor² in; NVIDIA's resample_filter is ¼ of it).
/// </summary>
public sealed class Blur : TorchModule
{
    public Blur(IReadOnlyList<int> kernel, (int Pad0, int Pad1) pad, int upsampleFactor = 1) : base(nameof(Blur))
    {
        Pad = pad;
        RegisterBuffer("kernel", FirKernel.Make(kernel, upsampleFactor * upsampleFactor));
    }

    public (int Pad0, int Pad1) Pad { get; }
    public Tensor Kernel => Buffer("kernel");

    /// <summary>
    /// Blurred x, plus an optional per-channel bias folded into the same convolution. <paramref name="bordered"/>:
    /// x already carries the zero padding (as <see cref="SubpixelConvTranspose"/>'s output does).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? bias = null, bool bordered = false) =>
        Upfirdn2d.Filter(x, Kernel, bordered ? (0, 0) : Pad, bias);
}
