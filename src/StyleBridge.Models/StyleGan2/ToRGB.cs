using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// 1×1 modulated conv to RGB without demodulation, plus <c>bias</c> [1, 3, 1, 1] (NVIDIA: clamped), plus the
/// previous RGB upsampled ×2. The result is always float32 (or the model's float64).
/// </summary>
public sealed class ToRGB : TorchModule
{
    public ToRGB(int inChannel, int styleDim, bool upsample, StyleGan2Config config) : base(nameof(ToRGB))
    {
        Clamp = config.ConvClamp;
        RegisterParameter("bias", zeros(new long[] { 1, 3, 1, 1 }));
        if (upsample)
            Upsample = RegisterModule("upsample", new Upsample(config.BlurKernel));
        Conv = RegisterModule("conv", new ModulatedConv2d(inChannel, 3, 1, styleDim, demodulate: false, upsample: false,
            config.BlurKernel, config.DemodulationEpsilon, config.ModulatedConvPath));
    }

    public double? Clamp { get; }
    public Parameter Bias => Param("bias");
    public Upsample? Upsample { get; }
    public ModulatedConv2d Conv { get; }

    public Tensor Forward(Tensor x, Tensor s, Tensor? skip)
    {
        using var scope = NewDisposeScope();
        bool inPlace = !is_grad_enabled();
        var output = Conv.Forward(x, s, Bias);
        if (Clamp is { } c)
            output = inPlace ? output.ClampScalar_(-c, c) : output.ClampScalar(-c, c);
        if (output.dtype == ScalarType.Float16)
            output = output.to(ScalarType.Float32);
        if (skip is not null)
        {
            if (Upsample is null)
                throw new InvalidOperationException("this ToRGB has no skip input (it is the 4×4 one)");
            var up = Upsample.Forward(skip);
            output = inPlace ? output.add_(up) : output.add(up);
        }

        return output.MoveToOuterDisposeScope();
    }
}
