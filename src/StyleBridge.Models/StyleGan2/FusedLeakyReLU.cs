using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>rosinality's <c>activate</c> module: a per-channel bias, then leaky ReLU (0.2) times √2.</summary>
public sealed class FusedLeakyReLU : TorchModule
{
    public FusedLeakyReLU(int channels) : base(nameof(FusedLeakyReLU)) => RegisterParameter("bias", zeros(new long[] { channels }));

    public Parameter Bias => Param("bias");
    public double NegativeSlope => FusedLeakyRelu.NegativeSlope;
    public double Scale => FusedLeakyRelu.Gain;

    /// <summary>The reference op, out of place (the synthesis folds bias and gain into the conv instead).</summary>
    public Tensor Forward(Tensor x, double? clamp = null) => FusedLeakyRelu.Apply(x, Bias, NegativeSlope, Scale, clamp);
}
