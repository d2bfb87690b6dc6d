using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The constructor arguments of OpenAI's <c>CLIP</c> class (ViT variant), snake_case names in JSON.
/// <see cref="VisionHeads"/> is not a constructor argument there: the reference always uses <c>vision_width // 64</c>.
/// </summary>
public sealed partial record ClipConfig(
    int EmbedDim,
    int ImageResolution,
    int VisionLayers,
    int VisionWidth,
    int VisionPatchSize,
    int ContextLength,
    int VocabSize,
    int TransformerWidth,
    int TransformerHeads,
    int TransformerLayers)
{
    public int VisionHeads { get; init; } = VisionWidth / 64;

    public double LayerNormEps { get; init; } = 1e-5;

    public int GridSize => ImageResolution / VisionPatchSize;

    /// <summary>Class token + grid² patches.</summary>
    public int VisionSequenceLength => GridSize * GridSize + 1;

    /// <summary>OpenAI's ViT-B/32.</summary>
    public static ClipConfig VitB32 { get; } = new(512, 224, 12, 768, 32, 77, 49408, 512, 8, 12);

    /// <summary>OpenAI's ViT-B/16.</summary>
    public static ClipConfig VitB16 { get; } = new(512, 224, 12, 768, 16, 77, 49408, 512, 8, 12);

    /// <summary>OpenAI's ViT-L/14.</summary>
    public static ClipConfig VitL14 { get; } = new(768, 224, 24, 1024, 14, 77, 49408, 768, 12, 12);

    /// <summary>
    /// Infers the hyperparameters from a state dict in OpenAI names, exactly as the reference <c>build_model</c> does
    /// (ViT branch). Head counts cannot be read from shapes: both are width / 64, as in the reference; override them
    /// for models built otherwise (<see cref="WithJson"/>, or <c>with { TransformerHeads = … }</c>).
    /// </summary>
    public static ClipConfig FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        if (!stateDict.ContainsKey("visual.proj"))
        {
            throw stateDict.Keys.Any(k => k.StartsWith("visual.layer1.", StringComparison.Ordinal))
                ? new NotSupportedException("this is a ResNet CLIP (RN50, RN101, RN50x4, …); only the ViT variants are implemented")
                : new ArgumentException("not a CLIP state dict in OpenAI names: 'visual.proj' is missing", nameof(stateDict));
        }

        long[] Shape(string name) => stateDict.TryGetValue(name, out var t)
            ? t.shape
            : throw new ArgumentException($"not a CLIP state dict: '{name}' is missing", nameof(stateDict));

        int visionWidth = (int)Shape("visual.conv1.weight")[0];
        int patch = (int)Shape("visual.conv1.weight")[^1];
        int visionLayers = stateDict.Keys.Count(k => k.StartsWith("visual.", StringComparison.Ordinal) && k.EndsWith(".attn.in_proj_weight", StringComparison.Ordinal));
        int grid = (int)Math.Round(Math.Sqrt(Shape("visual.positional_embedding")[0] - 1));
        int embedDim = (int)Shape("text_projection")[1];
        int contextLength = (int)Shape("positional_embedding")[0];
        int vocabSize = (int)Shape("token_embedding.weight")[0];
        int width = (int)Shape("ln_final.weight")[0];
        int layers = stateDict.Keys
            .Select(k => TextBlockKey().Match(k))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .Distinct()
            .Count();
        return new ClipConfig(embedDim, patch * grid, visionLayers, visionWidth, patch, contextLength, vocabSize, width, width / 64, layers);
    }

    /// <summary>
    /// Reads a whole configuration from JSON: the constructor arguments as a flat object, or nested under
    /// <c>constructor_arguments</c> (as in <c>tiny_config.json</c>) or <c>config</c> (as in the ViT-B/32 manifest).
    /// </summary>
    public static ClipConfig FromJson(string json)
    {
        var values = ReadArguments(json);
        int Get(string key) => values.TryGetValue(key, out int v) ? v : throw new FormatException($"CLIP config JSON lacks '{key}'");
        var config = new ClipConfig(Get("embed_dim"), Get("image_resolution"), Get("vision_layers"), Get("vision_width"),
            Get("vision_patch_size"), Get("context_length"), Get("vocab_size"), Get("transformer_width"),
            Get("transformer_heads"), Get("transformer_layers"));
        return values.TryGetValue("vision_heads", out int vh) ? config with { VisionHeads = vh } : config;
    }

    public static ClipConfig FromJsonFile(string path) => FromJson(File.ReadAllText(path));

    /// <summary>
    /// This configuration with every value that <paramref name="json"/> gives replaced (same layouts as
    /// <see cref="FromJson"/>; keys may be a subset, e.g. <c>{"transformer_heads": 2}</c>).
    /// </summary>
    public ClipConfig WithJson(string json)
    {
        var v = ReadArguments(json);
        int Or(string key, int current) => v.TryGetValue(key, out int x) ? x : current;
        // the reference derives the vision head count from the width, so a new width without a head count implies width / 64
        int visionHeads = Or("vision_heads", v.TryGetValue("vision_width", out int newWidth) ? newWidth / 64 : VisionHeads);
        return this with
        {
            EmbedDim = Or("embed_dim", EmbedDim),
            ImageResolution = Or("image_resolution", ImageResolution),
            VisionLayers = Or("vision_layers", VisionLayers),
            VisionWidth = Or("vision_width", VisionWidth),
            VisionPatchSize = Or("vision_patch_size", VisionPatchSize),
            ContextLength = Or("context_length", ContextLength),
            VocabSize = Or("vocab_size", VocabSize),
            TransformerWidth = Or("transformer_width", TransformerWidth),
            TransformerHeads = Or("transformer_heads", TransformerHeads),
            TransformerLayers = Or("transformer_layers", TransformerLayers),
            VisionHeads = visionHeads,
        };
    }

    public ClipConfig WithJsonFile(string path) => WithJson(File.ReadAllText(path));

    /// <summary>The constructor arguments (plus <c>vision_heads</c>) as a flat snake_case JSON object.</summary>
    public string ToJson() => JsonSerializer.Serialize(new SortedDictionary<string, int>(StringComparer.Ordinal)
    {
        ["embed_dim"] = EmbedDim,
        ["image_resolution"] = ImageResolution,
        ["vision_layers"] = VisionLayers,
        ["vision_width"] = VisionWidth,
        ["vision_patch_size"] = VisionPatchSize,
        ["context_length"] = ContextLength,
        ["vocab_size"] = VocabSize,
        ["transformer_width"] = TransformerWidth,
        ["transformer_heads"] = TransformerHeads,
        ["transformer_layers"] = TransformerLayers,
        ["vision_heads"] = VisionHeads,
    });

    /// <summary>Throws when the values cannot describe a model (non-positive sizes, heads not dividing widths, …).</summary>
    public void Validate()
    {
        void Positive(int value, string name)
        {
            if (value <= 0)
                throw new ArgumentException($"CLIP config: {name} must be positive, got {value}");
        }

        Positive(EmbedDim, "embed_dim");
        Positive(ImageResolution, "image_resolution");
        Positive(VisionLayers, "vision_layers");
        Positive(VisionWidth, "vision_width");
        Positive(VisionPatchSize, "vision_patch_size");
        Positive(ContextLength, "context_length");
        Positive(VocabSize, "vocab_size");
        Positive(TransformerWidth, "transformer_width");
        Positive(TransformerHeads, "transformer_heads");
        Positive(TransformerLayers, "transformer_layers");
        Positive(VisionHeads, "vision_heads");
        if (TransformerWidth % TransformerHeads != 0)
            throw new ArgumentException($"CLIP config: transformer_heads {TransformerHeads} does not divide transformer_width {TransformerWidth}");
        if (VisionWidth % VisionHeads != 0)
            throw new ArgumentException($"CLIP config: vision_heads {VisionHeads} does not divide vision_width {VisionWidth}");
    }

    private static Dictionary<string, int> ReadArguments(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new FormatException("CLIP config JSON must be an object");
        foreach (string nested in (string[])["constructor_arguments", "config"])
        {
            if (root.TryGetProperty(nested, out var inner) && inner.ValueKind == JsonValueKind.Object)
            {
                root = inner;
                break;
            }
        }

        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Number)
            {
                values[property.Name] = property.Value.TryGetInt32(out int i)
                    ? i
                    : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"CLIP config '{property.Name}' is not an integer: {property.Value}"));
            }
        }

        return values;
    }

    [GeneratedRegex(@"^transformer\.resblocks\.(\d+)\.")]
    private static partial Regex TextBlockKey();
}
