using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// A discriminator on w vectors: <c>layers</c> "0" … "depth−1" are <see cref="EqualLinear"/> with leaky ReLU
/// (W → H, then H → H), "depth" is H → 1. w [N, W] → logits [N, 1]. Trains the mapping network against encoded
/// renders (<c>stylebridge train stylegan2-mapping</c>).
/// </summary>
public sealed class LatentDiscriminator : TorchModule
{
    public LatentDiscriminator(int styleDim, int hidden, int depth) : base(nameof(LatentDiscriminator))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(styleDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        StyleDim = styleDim;
        Layers = RegisterModule("layers", new ModuleList<EqualLinear>(
            Enumerable.Range(0, depth).Select(i => new EqualLinear(i == 0 ? styleDim : hidden, hidden, activation: true))
                .Append(new EqualLinear(hidden, 1))));
    }

    public int StyleDim { get; }
    public ModuleList<EqualLinear> Layers { get; }

    public Tensor Forward(Tensor w)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (w.dim() != 2 || w.size(0) < 1 || w.size(1) != StyleDim || !w.dtype.IsFloatingPoint())
            throw new ArgumentException($"expected a floating w [N ≥ 1, {StyleDim}], got {w.dtype} {TensorBytes.Format(w.shape)}", nameof(w));
        using var scope = NewDisposeScope();
        var x = w;
        foreach (var layer in Layers)
            x = layer.Forward(x);
        return x.MoveToOuterDisposeScope();
    }
}
