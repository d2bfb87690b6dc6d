using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// The ToRGB skip upsampler: upfirdn2d(up=2, pad=(2, 1), kernel · 4), run as a depthwise transposed convolution
/// (stride 2, padding 1).
/// </summary>
public sealed class Upsample : TorchModule
{
    public Upsample(IReadOnlyList<int> kernel, int factor = 2) : base(nameof(Upsample))
    {
        Factor = factor;
        RegisterBuffer("kernel", FirKernel.Make(kernel, factor * factor));
        int p = kernel.Count - factor;
        Pad = (FirKernel.FloorDiv(p + 1, 2) + factor - 1, FirKernel.FloorDiv(p, 2));
    }

    public int Factor { get; }
    public (int Pad0, int Pad1) Pad { get; }
    public Tensor Kernel => Buffer("kernel");

    public Tensor Forward(Tensor x) => Upfirdn2d.Upsample(x, Kernel, Factor, Pad);
}
