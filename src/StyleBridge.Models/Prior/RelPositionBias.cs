namespace StyleBridge.Models.Prior;

/// <summary>T5's causal relative-position bias: a table <c>relative_attention_bias</c> [buckets, heads] indexed by bucket(query − key).</summary>
public sealed class RelPositionBias : TorchModule
{
    public RelPositionBias(int heads, int numBuckets, int maxDistance) : base(nameof(RelPositionBias))
    {
        NumBuckets = numBuckets;
        MaxDistance = maxDistance;
        RelativeAttentionBias = RegisterModule("relative_attention_bias", nn.Embedding(numBuckets, heads));
    }

    public int NumBuckets { get; }
    public int MaxDistance { get; }
    public Embedding RelativeAttentionBias { get; }

    /// <summary>
    /// Buckets [i, j] for query positions 0..i−1 and key slots 0..j−1: n = max(q − k, 0); n below half the buckets
    /// maps to itself, larger n logarithmically up to <see cref="MaxDistance"/>, capped at the last bucket.
    /// </summary>
    public Tensor Buckets(long i, long j)
    {
        using var scope = NewDisposeScope();
        var q = arange(i, dtype: ScalarType.Int64).unsqueeze(1);
        var k = arange(j, dtype: ScalarType.Int64).unsqueeze(0);
        var n = q.sub(k).clamp_min(0);
        long maxExact = NumBuckets / 2;
        var large = n.to(ScalarType.Float32).div(maxExact).log()
            .div(Math.Log((double)MaxDistance / maxExact)).mul(NumBuckets - maxExact)
            .to(ScalarType.Int64).add(maxExact).clamp_max(NumBuckets - 1);
        return where(n.lt(maxExact), n, large).MoveToOuterDisposeScope();
    }

    /// <summary>The bias [heads, i, j].</summary>
    public Tensor Forward(long i, long j)
    {
        using var scope = NewDisposeScope();
        var buckets = Buckets(i, j).to(RelativeAttentionBias.weight!.device);
        return RelativeAttentionBias.forward(buckets).permute(2, 0, 1).MoveToOuterDisposeScope();
    }
}
