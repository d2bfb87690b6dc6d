using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// 1×1 modulated conv to RGB without demodulation, plus <c>bias</c> [1, 3, 1, 1] (NVIDIA: clamped), plus the
/// previous RGB upsampled ×2. The result is always float32 (or the model's float64).
/// </summary>
public sealed class ToRGB : Module
{
    public ToRGB(int inChannel, int styleDim, bool upsample, StyleGan2Config config)
    {
        Clamp = config.ConvClamp;
        Bias = RegisterParameter("bias", LibTorch.Zeros([1, 3, 1, 1]));
        if (upsample)
            Upsample = RegisterModule("upsample", new Upsample(config.BlurKernel));
        Conv = RegisterModule("conv", new ModulatedConv2d(inChannel, 3, 1, styleDim, demodulate: false, upsample: false,
            config.BlurKernel, config.DemodulationEpsilon, config.ModulatedConvPath));
    }

    public double? Clamp { get; }
    public Tensor Bias { get; }
    public Upsample? Upsample { get; }
    public ModulatedConv2d Conv { get; }

    public Tensor Forward(Tensor x, Tensor s, Tensor? skip)
    {
        using var scope = TensorScope.Begin();
        bool inPlace = !LibTorch.IsGradEnabled;
        var output = Conv.Forward(x, s, Bias);
        if (Clamp is { } c)
            output = inPlace ? output.Clamp_(-c, c) : output.Clamp(-c, c);
        if (output.Dtype == ScalarType.Float16)
            output = output.To(ScalarType.Float32);
        if (skip is not null)
        {
            if (Upsample is null)
                throw new InvalidOperationException("this ToRGB has no skip input (it is the 4×4 one)");
            var up = Upsample.Forward(skip);
            output = inPlace ? output.Add_(up) : output.Add(up);
        }

        return output.MoveToOuterScope();
    }
}
