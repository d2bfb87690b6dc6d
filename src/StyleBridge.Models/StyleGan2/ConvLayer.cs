using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// rosinality's <c>ConvLayer</c>, an <c>nn.Sequential</c> whose children are registered as "0", "1", "2":
/// with <c>downsample</c>, a <see cref="StyleGan2.Blur"/> (pad ((p+1)//2, p//2), p = len(kernel) − 2 + (k − 1)) and a
/// stride-2 <see cref="EqualConv2d"/> without padding; otherwise the conv alone with padding k//2. With
/// <c>activate</c> a <see cref="FusedLeakyReLU"/> (which owns the bias) follows and the conv has none; without it the
/// conv carries the bias (if any). Keys: <c>0.weight</c>, <c>1.bias</c>; or <c>0.kernel</c>, <c>1.weight</c>, <c>2.bias</c>.
/// </summary>
public sealed class ConvLayer : TorchModule
{
    public ConvLayer(int inChannel, int outChannel, int kernelSize, bool downsample = false, IReadOnlyList<int>? blurKernel = null,
        bool bias = true, bool activate = true) : base(nameof(ConvLayer))
    {
        int child = 0;
        string Next() => (child++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        int stride = 1, padding = kernelSize / 2;
        if (downsample)
        {
            const int factor = 2;
            var taps = blurKernel ?? [1, 3, 3, 1];
            int p = taps.Count - factor + (kernelSize - 1);
            Blur = RegisterModule(Next(), new Blur(taps, (FirKernel.FloorDiv(p + 1, 2), FirKernel.FloorDiv(p, 2))));
            stride = 2;
            padding = 0;
        }

        Conv = RegisterModule(Next(), new EqualConv2d(inChannel, outChannel, kernelSize, stride, padding, bias && !activate));
        Activate = activate;
        if (activate && bias)
            Activation = RegisterModule(Next(), new FusedLeakyReLU(outChannel));
    }

    public Blur? Blur { get; }
    public EqualConv2d Conv { get; }

    /// <summary>Whether the leaky ReLU·√2 follows.</summary>
    public bool Activate { get; }

    /// <summary>The activation with its bias (null without activation, or with an unbiased one).</summary>
    public FusedLeakyReLU? Activation { get; }

    public bool Downsample => Blur is not null;

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = Blur is null ? x : Blur.Forward(x);
        y = Conv.Forward(y);
        if (Activation is not null)
            y = Activation.Forward(y);
        else if (Activate)
            y = Ops.FusedLeakyRelu.Apply(y, null);
        return y.MoveToOuterDisposeScope();
    }
}
