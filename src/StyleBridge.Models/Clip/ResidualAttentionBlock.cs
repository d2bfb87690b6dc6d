using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>Pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(·)).</summary>
public sealed class ResidualAttentionBlock : TorchModule
{
    public ResidualAttentionBlock(long width, int heads, double eps = 1e-5) : base(nameof(ResidualAttentionBlock))
    {
        Attn = RegisterModule("attn", new MultiheadAttention(width, heads));
        Ln1 = RegisterModule("ln_1", new LayerNorm(width, eps));
        Mlp = RegisterModule("mlp", new Mlp(width));
        Ln2 = RegisterModule("ln_2", new LayerNorm(width, eps));
    }

    public MultiheadAttention Attn { get; }
    public LayerNorm Ln1 { get; }
    public Mlp Mlp { get; }
    public LayerNorm Ln2 { get; }

    /// <param name="x">[N, L, width], batch-first.</param>
    /// <param name="attnMask">Additive [L, L] mask, or null.</param>
    public Tensor Forward(Tensor x, Tensor? attnMask = null)
    {
        using var scope = NewDisposeScope();
        // the sums accumulate into the branch outputs, which nothing else holds (autograd-safe: linear's backward
        // does not need its output); a + x equals x + a bit for bit
        var h = Attn.Forward(Ln1.Forward(x), attnMask).add_(x);
        var y = Mlp.Forward(Ln2.Forward(h)).add_(h);
        return y.MoveToOuterDisposeScope();
    }
}
