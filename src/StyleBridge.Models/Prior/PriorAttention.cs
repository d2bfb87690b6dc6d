namespace StyleBridge.Models.Prior;

/// <summary>
/// The prior's causal multi-query attention: <c>Heads</c> query heads, one key/value head of width <c>DimHead</c>,
/// a learned null key/value (<c>null_kv</c>) always attendable in key slot 0, rotary on queries and keys, the T5 bias,
/// and a LayerNorm after the output projection (<c>to_out.0</c>, <c>to_out.1</c>).
/// </summary>
public sealed class PriorAttention : TorchModule
{
    private readonly int heads;
    private readonly int dimHead;

    public PriorAttention(PriorConfig config) : base(nameof(PriorAttention))
    {
        heads = config.Heads;
        dimHead = config.DimHead;
        RegisterParameter("null_kv", randn(2, config.DimHead));
        Norm = RegisterModule("norm", new PriorLayerNorm(config.Dim));
        ToQ = RegisterModule("to_q", nn.Linear(config.Dim, config.InnerDim, hasBias: false));
        ToKv = RegisterModule("to_kv", nn.Linear(config.Dim, config.DimHead * 2, hasBias: false));
        RotaryEmb = RegisterModule("rotary_emb", new RotaryEmbedding(config.RotaryDim));
        ToOut = RegisterModule("to_out", new AttentionOutput(config.InnerDim, config.Dim));
    }

    public PriorLayerNorm Norm { get; }
    public Linear ToQ { get; }
    public Linear ToKv { get; }
    public RotaryEmbedding RotaryEmb { get; }
    public AttentionOutput ToOut { get; }

    /// <param name="x">[B, N, D].</param>
    /// <param name="visible">[B, N, N+1] bool: which key slots each query may attend (slot 0 = the null key).</param>
    /// <param name="bias">[heads, N, N+1].</param>
    /// <param name="angles">[N, rotary dim].</param>
    public Tensor Forward(Tensor x, Tensor visible, Tensor bias, Tensor angles)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        var h = Norm.Forward(x);
        var q = ToQ.forward(h).view(b, n, heads, dimHead).transpose(1, 2).MulScalar(Math.Pow(dimHead, -0.5));
        var kv = ToKv.forward(h).chunk(2, -1);
        q = RotaryEmbedding.Rotate(q, angles);
        var k = RotaryEmbedding.Rotate(kv[0], angles);
        var nullKv = Param("null_kv");
        k = cat([nullKv[0].expand(b, 1, dimHead), k], 1);
        var v = cat([nullKv[1].expand(b, 1, dimHead), kv[1]], 1);

        var sim = matmul(q, k.unsqueeze(1).transpose(-1, -2)).add(bias);
        sim = sim.masked_fill(visible.unsqueeze(1).logical_not(), MinValue(sim.dtype));
        var attn = sim.softmax(-1);
        var o = matmul(attn, v.unsqueeze(1)).transpose(1, 2).reshape(b, n, heads * dimHead);
        return ToOut.Forward(o).MoveToOuterDisposeScope();
    }

    private static double MinValue(ScalarType dtype) => dtype == ScalarType.Float64 ? -double.MaxValue : -float.MaxValue;
}

/// <summary>The attention's output: projection <c>0</c> (inner → D, no bias), then LayerNorm <c>1</c>.</summary>
public sealed class AttentionOutput : TorchModule
{
    public AttentionOutput(int innerDim, int dim) : base(nameof(AttentionOutput))
    {
        Projection = RegisterModule("0", nn.Linear(innerDim, dim, hasBias: false));
        Norm = RegisterModule("1", new PriorLayerNorm(dim));
    }

    public Linear Projection { get; }
    public PriorLayerNorm Norm { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Norm.Forward(Projection.forward(x)).MoveToOuterDisposeScope();
    }
}
