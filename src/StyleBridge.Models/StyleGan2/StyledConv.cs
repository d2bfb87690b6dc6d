using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>Modulated conv, then noise, then bias + leaky ReLU·√2 (NVIDIA: then the clamp).</summary>
public sealed class StyledConv : TorchModule
{
    public StyledConv(int inChannel, int outChannel, int kernelSize, int styleDim, bool upsample, StyleGan2Config config) : base(nameof(StyledConv))
    {
        Clamp = config.ConvClamp;
        Conv = RegisterModule("conv", new ModulatedConv2d(inChannel, outChannel, kernelSize, styleDim, demodulate: true, upsample,
            config.BlurKernel, config.DemodulationEpsilon, config.ModulatedConvPath));
        Noise = RegisterModule("noise", new NoiseInjection());
        Activate = RegisterModule("activate", new FusedLeakyReLU(outChannel));
    }

    public double? Clamp { get; }
    public ModulatedConv2d Conv { get; }
    public NoiseInjection Noise { get; }
    public FusedLeakyReLU Activate { get; }

    /// <summary>
    /// <c>clamp(lrelu(modconv(x, s) + strength·noise + bias, 0.2)·√2)</c> for an S vector s [N, C_in]; noise null
    /// skips the injection. The bias and √2 ride in the convolution (lrelu(a·v) = a·lrelu(v) for a &gt; 0).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor s, Tensor? noise)
    {
        using var scope = NewDisposeScope();
        double gain = Activate.Scale;
        var output = Conv.Forward(x, s, Activate.Bias, gain);
        if (noise is not null)
            output = Noise.Forward(output, noise, gain);
        return FusedLeakyRelu.ApplyPrescaled(output, Activate.NegativeSlope, Clamp).MoveToOuterDisposeScope();
    }
}
