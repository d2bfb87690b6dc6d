using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Clip;

/// <summary>
/// Loads CLIP (ViT) weights from OpenAI's TorchScript archives (<c>ViT-B-32.pt</c>), <c>torch.save</c> state
/// dicts and safetensors, in OpenAI names or Hugging Face <c>CLIPModel</c> names (detected from the keys).
/// Float16/bfloat16/float64 tensors are widened (or narrowed) to float32; the model is built on the CPU in
/// float32 and may then move with <see cref="ClipModel.ToDevice"/>.
/// </summary>
public static class ClipLoader
{
    /// <summary>
    /// Extra 0-dim integer entries of the released archives that are not parameters (the reference
    /// <c>build_model</c> deletes them). <c>input_resolution</c> is checked against the configuration.
    /// </summary>
    public static IReadOnlySet<string> IgnoredKeys { get; } = new HashSet<string>(["input_resolution", "context_length", "vocab_size"], StringComparer.Ordinal);

    /// <summary>
    /// Reads a weight file (format detected from its bytes) into OpenAI names and float32, keeping
    /// <see cref="IgnoredKeys"/> entries as they are. <paramref name="key"/> selects a nested dict of a
    /// <c>torch.save</c> file (e.g. <c>"state_dict"</c>). The caller owns the result.
    /// </summary>
    public static StateDict ReadStateDict(string path, string? key = null)
    {
        using var raw = WeightFiles.LoadStateDict(path, key);
        return Normalize(raw);
    }

    /// <summary>
    /// Builds a model from a weight file. The configuration is inferred from the shapes
    /// (<see cref="ClipConfig.FromStateDict"/>); <paramref name="configure"/> may override what shapes cannot tell,
    /// e.g. <c>c =&gt; c.WithJsonFile("tiny_config.json")</c> or <c>c =&gt; c with { TransformerHeads = 2 }</c>.
    /// The model is in eval mode with gradients off for its parameters.
    /// </summary>
    public static ClipModel Load(string path, Func<ClipConfig, ClipConfig>? configure = null, Device? device = null,
        ScalarType dtype = ScalarType.Float32, string? key = null)
    {
        using var stateDict = ReadStateDict(path, key);
        return FromStateDict(stateDict, configure, device, dtype);
    }

    /// <summary>As <see cref="Load"/>, from tensors in memory (OpenAI or Hugging Face names, any float dtype). The source is only read.</summary>
    public static ClipModel FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict, Func<ClipConfig, ClipConfig>? configure = null,
        Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        using var normalized = Normalize(stateDict);
        var config = ClipConfig.FromStateDict(normalized);
        if (configure is not null)
            config = configure(config);
        CheckInputResolution(normalized, config);

        var model = new ClipModel(config, initialize: false);
        try
        {
            StateDicts.LoadInto(model, normalized, strict: true, ignore: IgnoredKeys);
            model.Freeze();
            if (device is { } d)
                model.ToDevice(d, dtype);
            else if (dtype != ScalarType.Float32)
                throw new ArgumentException($"computing in {dtype} needs a CUDA device", nameof(dtype));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// OpenAI names (mapping Hugging Face names when present) with floating tensors in float32. New handles that
    /// share storage with the source where nothing changes.
    /// </summary>
    public static StateDict Normalize(IReadOnlyDictionary<string, Tensor> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var mapped = ClipHuggingFaceNames.IsHuggingFace(source.Keys) ? ClipHuggingFaceNames.ToOpenAi(source) : null;
        IReadOnlyDictionary<string, Tensor> names = mapped ?? source;

        using var scope = NewDisposeScope();
        var result = new StateDict { Metadata = source is StateDict sd ? sd.Metadata : new Dictionary<string, string>() };
        try
        {
            foreach (var (name, tensor) in names)
            {
                var value = tensor.dtype.IsFloatingPoint() && tensor.dtype != ScalarType.Float32 ? tensor.to(ScalarType.Float32) : tensor.alias();
                result.Add(name, value.DetachFromDisposeScope());
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void CheckInputResolution(IReadOnlyDictionary<string, Tensor> stateDict, ClipConfig config)
    {
        if (stateDict.TryGetValue("input_resolution", out var stored) && stored.numel() == 1)
        {
            long resolution = stored.dtype.IsFloatingPoint() ? (long)stored.item<double>() : stored.item<long>();
            if (resolution != config.ImageResolution)
                throw new ArgumentException($"the file's input_resolution {resolution} disagrees with the configuration's image_resolution {config.ImageResolution}");
        }
    }
}
