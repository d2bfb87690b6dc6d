using System.Text.Json.Serialization;

namespace StyleBridge.Models.Prior;

/// <summary>
/// The sizes of a clip2latent prior (DALLE2-pytorch 0.2.38 <c>DiffusionPriorNetwork</c> inside clip2latent's
/// <c>LatentPrior</c>). Everything but <see cref="LatentRepeats"/> is read from weight shapes by <see cref="Infer"/>;
/// the flags the released model uses and no shape can tell (T5 max distance 128, rotary on min(32, dim_head) features,
/// SwiGLU, final norm and projection, cosine schedule, x0 prediction) are fixed in the code.
/// </summary>
/// <param name="Dim">Token width D (= the CLIP embedding and w widths).</param>
/// <param name="Depth">Transformer layers.</param>
/// <param name="Heads">Query heads (one shared key/value head).</param>
/// <param name="DimHead">Per-head width.</param>
/// <param name="NumTimesteps">Rows of the learned time table; also the diffusion length T.</param>
/// <param name="FfInner">SwiGLU width (the first feed-forward projection has twice as many rows).</param>
/// <param name="NumBuckets">T5 relative-position buckets.</param>
/// <param name="MaxDistance">T5 maximal distance.</param>
/// <param name="LatentRepeats">How many W+ rows the output w is repeated to (18 for FFHQ 1024).</param>
public sealed record PriorConfig(
    int Dim,
    int Depth,
    int Heads,
    int DimHead,
    int NumTimesteps = 1000,
    int FfInner = 0,
    int NumBuckets = 32,
    int MaxDistance = 128,
    int LatentRepeats = 18)
{
    /// <summary>The released FFHQ model (<c>ffhq-sg2-510</c>).</summary>
    public static PriorConfig Released { get; } = new(512, 12, 12, 64, 1000, 2048, 32, 128, 18);

    [JsonIgnore] public int EffectiveFfInner => FfInner > 0 ? FfInner : Dim * 4;
    [JsonIgnore] public int RotaryDim => Math.Min(32, DimHead);
    [JsonIgnore] public int InnerDim => Heads * DimHead;

    public const string Net = "net.";
    private const string Layers = "net.causal_transformer.layers.";

    /// <summary>The configuration the tensors (relative names: <c>net.*</c>, <c>latent_mean</c>, ...) imply.</summary>
    public static PriorConfig Infer(IReadOnlyDictionary<string, Tensor> state, int latentRepeats = 18)
    {
        ArgumentNullException.ThrowIfNull(state);
        long[] Shape(string key) => state.TryGetValue(key, out var t) ? t.shape
            : throw new PriorFormatException($"the prior weights have no '{key}'");

        int dim = (int)Shape("net.learned_query")[^1];
        int timesteps = (int)Shape("net.to_time_embeds.0.weight")[0];
        var nullKv = Shape(Layers + "0.0.null_kv");
        int dimHead = (int)nullKv[^1];
        int heads = (int)(Shape(Layers + "0.0.to_q.weight")[0] / dimHead);
        int ffInner = (int)(Shape(Layers + "0.1.1.weight")[0] / 2);
        var bias = Shape("net.causal_transformer.rel_pos_bias.relative_attention_bias.weight");
        int depth = 0;
        while (state.ContainsKey($"{Layers}{depth}.0.to_q.weight"))
            depth++;
        if (bias[1] != heads)
            throw new PriorFormatException($"the relative-position table has {bias[1]} heads, to_q implies {heads}");
        return new PriorConfig(dim, depth, heads, dimHead, timesteps, ffInner, (int)bias[0], 128, latentRepeats);
    }
}

/// <summary>A prior weight file that does not hold a clip2latent prior this code can run.</summary>
public sealed class PriorFormatException(string message) : Exception(message);
