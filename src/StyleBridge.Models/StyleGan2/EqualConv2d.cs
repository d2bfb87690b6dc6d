using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// rosinality's <c>EqualConv2d</c>: a convolution with equalised learning rate. The stored <c>weight</c>
/// [out, in, k, k] is N(0, 1) and is used as <c>weight / √(in·k²)</c>; the optional <c>bias</c> [out] starts at 0.
/// </summary>
public sealed class EqualConv2d : TorchModule
{
    public EqualConv2d(int inChannel, int outChannel, int kernelSize, int stride = 1, int padding = 0, bool bias = true) : base(nameof(EqualConv2d))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        InChannel = inChannel;
        OutChannel = outChannel;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Scale = 1 / Math.Sqrt(inChannel * kernelSize * kernelSize);
        using (no_grad())
        {
            RegisterParameter("weight", randn(new long[] { outChannel, inChannel, kernelSize, kernelSize }));
            if (bias)
                RegisterParameter("bias", zeros(new long[] { outChannel }));
        }
    }

    public int InChannel { get; }
    public int OutChannel { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }

    /// <summary>Equalised-lr factor 1/√(in·k²).</summary>
    public double Scale { get; }

    public Parameter Weight => Param("weight");
    public Parameter? Bias => TryParam("bias");

    /// <summary>conv2d(x, weight·scale, bias, stride, padding): x [N, in, H, W] → [N, out, H', W'].</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var weight = Weight.MulScalar(Scale);
        return Functional.Conv2d(x, weight, Bias, Stride, Padding).MoveToOuterDisposeScope();
    }
}
