using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// rosinality's <c>style</c> Sequential: child "0" is <see cref="PixelNorm"/>, children "1" … "n_mlp" are
/// <see cref="EqualLinear"/> layers (lr_mul 0.01, leaky ReLU on every one). z [N, Z] → w [N, W].
/// </summary>
public sealed class MappingNetwork : TorchModule
{
    private readonly List<EqualLinear> layers = [];

    public MappingNetwork(int zDim, int styleDim, int nMlp, double lrMlp) : base(nameof(MappingNetwork))
    {
        Norm = RegisterModule("0", new PixelNorm());
        for (int i = 0; i < nMlp; i++)
            layers.Add(RegisterModule((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                new EqualLinear(i == 0 ? zDim : styleDim, styleDim, lrMul: lrMlp, activation: true)));
    }

    public PixelNorm Norm { get; }
    public IReadOnlyList<EqualLinear> Layers => layers;

    public Tensor Forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var x = Norm.Forward(z);
        foreach (var layer in layers)
            x = layer.Forward(x);
        return x.MoveToOuterDisposeScope();
    }
}
