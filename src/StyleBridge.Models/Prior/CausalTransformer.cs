namespace StyleBridge.Models.Prior;

/// <summary>One pre-norm layer: attention <c>0</c> and feed-forward <c>1</c>, each added to the residual stream.</summary>
public sealed class CausalTransformerLayer : TorchModule
{
    public CausalTransformerLayer(PriorConfig config) : base(nameof(CausalTransformerLayer))
    {
        Attention = RegisterModule("0", new PriorAttention(config));
        FeedForward = RegisterModule("1", new PriorFeedForward(config.Dim, config.EffectiveFfInner));
    }

    public PriorAttention Attention { get; }
    public PriorFeedForward FeedForward { get; }
}

/// <summary>
/// DALLE2-pytorch's <c>CausalTransformer</c> as the prior uses it: a relative-position bias shared by all layers,
/// <c>depth</c> layers, the final LayerNorm <c>norm</c> and the projection <c>project_out</c>.
/// </summary>
public sealed class CausalTransformer : TorchModule
{
    public CausalTransformer(PriorConfig config) : base(nameof(CausalTransformer))
    {
        RelPosBias = RegisterModule("rel_pos_bias", new RelPositionBias(config.Heads, config.NumBuckets, config.MaxDistance));
        Layers = RegisterModule("layers", new ModuleList<CausalTransformerLayer>(
            Enumerable.Range(0, config.Depth).Select(_ => new CausalTransformerLayer(config))));
        Norm = RegisterModule("norm", new PriorLayerNorm(config.Dim));
        ProjectOut = RegisterModule("project_out", nn.Linear(config.Dim, config.Dim, hasBias: false));
    }

    public RelPositionBias RelPosBias { get; }
    public ModuleList<CausalTransformerLayer> Layers { get; }
    public PriorLayerNorm Norm { get; }
    public Linear ProjectOut { get; }

    /// <summary>
    /// The whole sequence after the final norm and projection, [B, N, D]. <paramref name="keepCondition"/> [B] bool:
    /// whether each sample's token 0 (the condition) may be attended; the null key and the causal past always may.
    /// <paramref name="hidden"/>, when given, receives the residual stream after every layer.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor keepCondition, List<Tensor>? hidden = null)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        var bias = RelPosBias.Forward(n, n + 1).to(x.dtype);
        var angles = Layers[0].Attention.RotaryEmb.Angles(n);

        // slot j = 0 is the null key, slot j ≥ 1 the token j − 1: visible when j − 1 ≤ i, token 0 only when kept
        var slots = arange(n + 1, dtype: ScalarType.Int64, device: x.device);
        var causal = slots.unsqueeze(0).le(arange(n, dtype: ScalarType.Int64, device: x.device).unsqueeze(1).add(1));
        var conditionSlot = slots.eq(1).unsqueeze(0).unsqueeze(0);
        var visible = causal.unsqueeze(0).logical_and(conditionSlot.logical_not().logical_or(keepCondition.view(b, 1, 1)));

        foreach (var layer in Layers)
        {
            x = layer.Attention.Forward(x, visible, bias, angles).add(x);
            x = layer.FeedForward.Forward(x).add(x);
            hidden?.Add(x.detach().clone().MoveToOuterDisposeScope());
        }

        return ProjectOut.forward(Norm.Forward(x)).MoveToOuterDisposeScope();
    }
}
