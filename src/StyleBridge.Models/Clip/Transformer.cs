using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// A stack of <see cref="ResidualAttentionBlock"/>s (<c>resblocks.{i}</c>). With <c>causal</c> it holds the
/// reference's additive mask (−inf above the diagonal) for <paramref name="contextLength"/> positions as a
/// non-persistent buffer (not in the state dict, as in the reference where it is a plain attribute).
/// </summary>
public sealed class Transformer : TorchModule
{
    public Transformer(long width, int layers, int heads, bool causal = false, long contextLength = 0, double eps = 1e-5) : base(nameof(Transformer))
    {
        Width = width;
        Resblocks = RegisterModule("resblocks", new ModuleList<ResidualAttentionBlock>(
            Enumerable.Range(0, layers).Select(_ => new ResidualAttentionBlock(width, heads, eps))));
        if (causal)
        {
            using var scope = NewDisposeScope();
            var mask = full(new long[] { contextLength, contextLength }, double.NegativeInfinity).triu(1);
            RegisterBuffer("attn_mask", mask, persistent: false);
        }
    }

    public long Width { get; }
    public int Layers => Resblocks.Count;
    public ModuleList<ResidualAttentionBlock> Resblocks { get; }

    /// <summary>The causal mask, or null for the image tower.</summary>
    public Tensor? AttnMask => TryBuffer("attn_mask");

    /// <param name="x">[N, L, width]; with a causal mask L may be shorter than the context length.</param>
    /// <param name="capture">When given, receives <c>{prefix}_block{i}_out</c> after every block.</param>
    public Tensor Forward(Tensor x, ClipActivations? capture = null, string prefix = "")
    {
        using var scope = NewDisposeScope();
        Tensor? mask = null;
        if (AttnMask is not null)
        {
            long length = x.size(1);
            mask = length == AttnMask.size(0) ? AttnMask : AttnMask.narrow(0, 0, length).narrow(1, 0, length);
            if (mask.dtype != x.dtype)
                mask = mask.to(x.dtype);
        }

        var h = x;
        for (int i = 0; i < Resblocks.Count; i++)
        {
            h = Resblocks[i].Forward(h, mask);
            capture?.Record($"{prefix}_block{i}_out", h);
        }

        return (ReferenceEquals(h, x) ? h.alias() : h).MoveToOuterDisposeScope();
    }
}
