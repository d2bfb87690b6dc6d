using System.Text.Json;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.StyleGan2;

public enum CheckpointLayout
{
    /// <summary>rosinality <c>Generator.state_dict()</c> names (<c>style.1.weight</c>, <c>convs.0.conv.weight</c>, …).</summary>
    Rosinality,

    /// <summary>NVIDIA <c>networks_stylegan2.Generator.state_dict()</c> names (<c>mapping.fc0.weight</c>, <c>synthesis.b4.const</c>, …).</summary>
    Nvidia,
}

/// <summary>
/// Generator weights from any supported file, in rosinality names, with the architecture read off the shapes and
/// the run-time options of the layout they came from.
/// <list type="bullet">
/// <item>rosinality <c>.pt</c> (torch zip): the <c>g_ema</c> dict and, when present, <c>latent_avg</c>. Training
/// checkpoints also hold <c>g</c>, <c>d</c>, optimiser states and <c>args</c>; only <c>g_ema</c> is read.</item>
/// <item>safetensors in rosinality names (optionally with a <c>latent_avg</c> tensor).</item>
/// <item>safetensors in NVIDIA names, as <c>weights/convert_nvidia_pkl.py</c> writes them; the <c>init_kwargs</c>
/// metadata gives conv_clamp, num_fp16_res and the mapping lr multiplier.</item>
/// </list>
/// </summary>
public sealed class StyleGan2Weights : IDisposable
{
    private StyleGan2Weights(StateDict stateDict, Tensor? latentAvg, CheckpointLayout layout, StyleGan2Config config)
    {
        StateDict = stateDict;
        LatentAvg = latentAvg;
        Layout = layout;
        Config = config;
    }

    /// <summary>Rosinality-named tensors, without <c>latent_avg</c>.</summary>
    public StateDict StateDict { get; }

    /// <summary>The average latent [W] (rosinality latent_avg / NVIDIA w_avg), or null if the file has none.</summary>
    public Tensor? LatentAvg { get; }

    public CheckpointLayout Layout { get; }
    public StyleGan2Config Config { get; }

    public static StyleGan2Weights Read(string path)
    {
        var format = WeightFiles.Detect(path);
        switch (format)
        {
            case WeightFileFormat.SafeTensors:
            {
                using var tensors = SafeTensors.Load(path);
                tensors.Metadata.TryGetValue("init_kwargs", out string? initKwargs);
                return FromTensors(tensors, initKwargs);
            }
            case WeightFileFormat.TorchZip:
                return FromTorchCheckpoint(path);
            case WeightFileFormat.Pickle:
                throw new WeightFormatException(path,
                    "a Python pickle (an NVIDIA network .pkl?): convert it first with /usr/bin/python3 weights/convert_nvidia_pkl.py IN.pkl OUT.safetensors");
            default:
                throw new WeightFormatException(path, $"not a StyleGAN2 checkpoint this reader knows ({format}); expected a rosinality .pt or a safetensors file");
        }
    }

    /// <summary>
    /// Weights from tensors in either layout (the layout is recognised by the names; a rosinality dict may carry
    /// <c>latent_avg</c>). <paramref name="initKwargs"/> is NVIDIA's constructor-argument JSON, if known.
    /// The tensors are copied into new handles; the caller keeps ownership of <paramref name="tensors"/>.
    /// </summary>
    public static StyleGan2Weights FromTensors(IReadOnlyDictionary<string, Tensor> tensors, string? initKwargs = null)
    {
        bool nvidia = NvidiaLayout.IsNvidia(tensors.Keys);
        var rosinality = nvidia ? NvidiaLayout.ToRosinality(tensors) : Aliases(tensors);
        try
        {
            Tensor? latentAvg = rosinality.ContainsKey("latent_avg") ? rosinality.Take("latent_avg") : null;
            var config = StyleGan2Config.FromStateDict(rosinality);
            if (nvidia)
                config = ApplyNvidiaKwargs(config with { DemodulationEpsilon = DemodulationEpsilon.Nvidia }, initKwargs);
            return new StyleGan2Weights(rosinality, latentAvg, nvidia ? CheckpointLayout.Nvidia : CheckpointLayout.Rosinality, config);
        }
        catch
        {
            rosinality.Dispose();
            throw;
        }
    }

    /// <summary>
    /// NVIDIA's <c>init_kwargs</c> (flat networks_stylegan2 form, as the converter writes it): checked against the
    /// shapes, and the run-time options taken over. Unconditional 'skip' generators only.
    /// </summary>
    public static StyleGan2Config ApplyNvidiaKwargs(StyleGan2Config config, string? initKwargs)
    {
        if (string.IsNullOrWhiteSpace(initKwargs))
            return config;
        using var doc = JsonDocument.Parse(initKwargs);
        var root = doc.RootElement;
        void Expect(string key, int actual)
        {
            if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.GetInt32() != actual)
                throw new ArgumentException($"init_kwargs {key} = {v.GetInt32()}, but the weights' shapes give {actual}");
        }

        Expect("img_resolution", config.Size);
        Expect("w_dim", config.StyleDim);
        Expect("z_dim", config.ZDim);
        if (root.TryGetProperty("c_dim", out var cDim) && cDim.ValueKind == JsonValueKind.Number && cDim.GetInt32() != 0)
            throw new NotSupportedException($"conditional generators (c_dim = {cDim.GetInt32()}) are not supported");
        if (root.TryGetProperty("img_channels", out var channels) && channels.ValueKind == JsonValueKind.Number && channels.GetInt32() != 3)
            throw new NotSupportedException($"img_channels = {channels.GetInt32()}: only RGB generators are supported");
        if (root.TryGetProperty("architecture", out var arch) && arch.GetString() != "skip")
            throw new NotSupportedException($"architecture '{arch.GetString()}': only 'skip' (config-f) generators are supported");

        var result = config;
        if (root.TryGetProperty("conv_clamp", out var clamp))
            result = result with { ConvClamp = clamp.ValueKind == JsonValueKind.Number ? clamp.GetDouble() : null };
        if (root.TryGetProperty("num_fp16_res", out var fp16) && fp16.ValueKind == JsonValueKind.Number)
            result = result with { NumFp16Res = fp16.GetInt32() };
        if (root.TryGetProperty("resample_filter", out var filter) && filter.ValueKind == JsonValueKind.Array)
            result = result with { BlurKernel = filter.EnumerateArray().Select(e => e.GetInt32()).ToArray() };
        if (root.TryGetProperty("mapping_kwargs", out var mapping) && mapping.ValueKind == JsonValueKind.Object)
        {
            if (mapping.TryGetProperty("num_layers", out var layers) && layers.GetInt32() != config.NMlp)
                throw new ArgumentException($"init_kwargs mapping_kwargs.num_layers = {layers.GetInt32()}, but the weights have {config.NMlp} layers");
            if (mapping.TryGetProperty("lr_multiplier", out var lr) && lr.ValueKind == JsonValueKind.Number)
                result = result with { LrMlp = lr.GetDouble() };
        }

        return result;
    }

    private static StyleGan2Weights FromTorchCheckpoint(string path)
    {
        using var checkpoint = TorchCheckpoint.Load(path);
        if (checkpoint.Root is not PickleDict top)
            throw new WeightFormatException(path, $"the checkpoint holds a {Describe(checkpoint.Root)}, not a dict");

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (top.TryGetValue("g_ema", out var gEma))
        {
            if (gEma is not PickleDict dict)
                throw new WeightFormatException(path, $"'g_ema' holds a {Describe(gEma)}, not a state dict");
            foreach (var (name, value) in dict)
                tensors[name] = value as Tensor ?? throw new WeightFormatException(path, $"g_ema entry '{name}' is a {Describe(value)}, not a tensor");
            if (top.TryGetValue("latent_avg", out var avg) && avg is Tensor latentAvg)
                tensors["latent_avg"] = latentAvg;
        }
        else
        {
            foreach (var (name, value) in top)
                tensors[name] = value as Tensor ?? throw new WeightFormatException(path,
                    $"no 'g_ema' key and entry '{name}' is a {Describe(value)}; top-level keys: {string.Join(", ", top.Keys)}");
        }

        return FromTensors(tensors);
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        PickleObject o => o.ClassName,
        PickleDict d => d.ClassName,
        _ => value.GetType().Name,
    };

    private static StateDict Aliases(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var result = new StateDict();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in tensors)
            result.Add(name, tensor.alias().DetachFromDisposeScope());
        return result;
    }

    public void Dispose()
    {
        StateDict.Dispose();
        LatentAvg?.Dispose();
    }
}
