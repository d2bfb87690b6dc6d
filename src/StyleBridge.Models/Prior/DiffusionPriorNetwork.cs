namespace StyleBridge.Models.Prior;

/// <summary>
/// DALLE2-pytorch 0.2.38's <c>DiffusionPriorNetwork</c> with one text, time and image embedding (their projections
/// are identities): the sequence [condition, time table row t, x_t, learned query] through the causal transformer;
/// the prediction of x0 is the output of the learned query's token.
/// </summary>
public sealed class DiffusionPriorNetwork : TorchModule
{
    public DiffusionPriorNetwork(PriorConfig config) : base(nameof(DiffusionPriorNetwork))
    {
        Config = config;
        RegisterParameter("learned_query", randn(config.Dim));
        ToTimeEmbeds = RegisterModule("to_time_embeds", new TimeEmbedding(config.NumTimesteps, config.Dim));
        CausalTransformer = RegisterModule("causal_transformer", new CausalTransformer(config));
    }

    public PriorConfig Config { get; }
    public TimeEmbedding ToTimeEmbeds { get; }
    public CausalTransformer CausalTransformer { get; }

    /// <summary>The input sequence [B, 4, D].</summary>
    public Tensor Tokens(Tensor x, Tensor t, Tensor condition)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0];
        var time = ToTimeEmbeds.Forward(t);
        var query = Param("learned_query").to(x.dtype).expand(b, Config.Dim);
        return stack([condition, time.to(x.dtype), x, query], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The x0 prediction [B, D] for noisy latents <paramref name="x"/> [B, D] at original timesteps <paramref name="t"/>
    /// [B] (int64) under raw conditions <paramref name="condition"/> [B, D]; <paramref name="keepCondition"/> [B] bool
    /// masks the condition's key where false (the null condition of classifier-free guidance).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor condition, Tensor keepCondition, List<Tensor>? hidden = null)
    {
        using var scope = NewDisposeScope();
        var final = CausalTransformer.Forward(Tokens(x, t, condition), keepCondition, hidden);
        return final[TensorIndex.Colon, -1].MoveToOuterDisposeScope();
    }
}

/// <summary>The learned timestep table, <c>to_time_embeds.0</c> (an <c>nn.Sequential</c> of one embedding).</summary>
public sealed class TimeEmbedding : TorchModule
{
    public TimeEmbedding(int timesteps, int dim) : base(nameof(TimeEmbedding))
    {
        Table = RegisterModule("0", nn.Embedding(timesteps, dim));
    }

    public Embedding Table { get; }

    public Tensor Forward(Tensor t) => Table.forward(t);
}
