using System.Text.Json;
using System.Text.Json.Serialization;

namespace StyleBridge.Models.Csla;

/// <summary>Adaptive Style Mixing variant (csla.md §4.2, reconstructed [I]).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AsmKind>))]
public enum AsmKind
{
    /// <summary>No ASM: s' = s_base + Δs (ablation).</summary>
    None,

    /// <summary>ASM-1: per-layer gates m = 2·sigmoid(MLP(Δw)), s'_k = s_base,k + m_k·Δs_k (identity at init).</summary>
    Gate,

    /// <summary>ASM-2: α = sigmoid(MLP(Δw)), s'_k = s_base,k + α_k·Δs_k + (1 − α_k)·A_k·Δw.</summary>
    Mix,
}

/// <summary>The CLIP-space centre used in training (csla.md §3.3, reconstructed [I]).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CslaCentre>))]
public enum CslaCentre
{
    /// <summary>TR-A: the partner is another sample (the "previous" one of the i.i.d. stream); a share of steps use the global centres.</summary>
    TemporalPrevious,

    /// <summary>TR-B: a running mean of the image embeddings; latent bases w_avg / s_avg.</summary>
    RunningMean,

    /// <summary>TR-C: each batch centred on its own means in all three spaces.</summary>
    BatchMean,

    /// <summary>A fixed centre: the mean image embedding, w_avg, s_avg.</summary>
    Mean,

    /// <summary>No centre: absolute embeddings map to absolute codes (Fig. 1's "s mapper").</summary>
    Absolute,
}

/// <summary>Which outputs drive the generator at inference.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CslaOutput>))]
public enum CslaOutput
{
    /// <summary>The S result: s' = ASM(s_base + Δs, Δw) (full CSLA).</summary>
    Styles,

    /// <summary>The W result: w' = w_base + Δw through the generator's own affines.</summary>
    W,
}

/// <summary>
/// The CSLA architecture and its ablation switches (csla.md §2, §4, §7.4). Sizes come from the generator and CLIP;
/// <see cref="NeutralPrompt"/> is the text centre of generation (Fig. 1 uses "a person" for faces) unless the file
/// carries a calibrated one: <see cref="TextCentreSource"/> names what the stored <c>c_txt</c> averages, and
/// <see cref="TextStrength"/> is text to image's default α; <see cref="TextMapSource"/>, where set, names the statistics
/// of the stored text map <c>t_map</c> (<see cref="CslaModel.TextMap"/>). <see cref="EditStrength"/> is editing's default
/// α (csla.md §6 scales Δw by 1; a generator may keep more of the scene at less). <see cref="TextBankSource"/>, where
/// set, names the generator samples whose image embeddings the stored image bank <c>f_bank</c> [<see cref="TextBankSize"/>, D]
/// holds, from which a prompt's <see cref="TextBankTopK"/> nearest form its image-space prototype (<see cref="CslaModel.TextPrototype"/>).
/// </summary>
public sealed record CslaConfig(
    int EmbedDim,
    int WDim,
    int MapperDepth = 8,
    AsmKind Asm = AsmKind.Gate,
    bool HeadsOnToRgb = true,
    bool NormalizeEmbeddings = true,
    CslaCentre Centre = CslaCentre.TemporalPrevious,
    string NeutralPrompt = "a person",
    CslaOutput Output = CslaOutput.Styles,
    string? TextCentreSource = null,
    double TextStrength = 1.0,
    string? TextMapSource = null,
    double EditStrength = 1.0,
    string? TextBankSource = null,
    int TextBankSize = 0,
    int TextBankTopK = 8)
{
    /// <summary>The largest default strength a file may carry, for text to image and for editing.</summary>
    public const double MaxTextStrength = 2, MaxEditStrength = 50;

    /// <summary>Whether <paramref name="alpha"/> may be a file's text-to-image default: in (0, <see cref="MaxTextStrength"/>].</summary>
    public static bool IsValidTextStrength(double alpha) => double.IsFinite(alpha) && alpha is > 0 and <= MaxTextStrength;

    /// <summary>Whether <paramref name="alpha"/> may be a file's editing default: in (0, <see cref="MaxEditStrength"/>].</summary>
    public static bool IsValidEditStrength(double alpha) => double.IsFinite(alpha) && alpha is > 0 and <= MaxEditStrength;

    public const string MetadataKey = "csla_config";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static CslaConfig FromJson(string json) =>
        JsonSerializer.Deserialize<CslaConfig>(json, Json) ?? throw new JsonException("empty CSLA config");
}
