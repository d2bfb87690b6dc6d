using System.Text.Json;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// Run-time settings from a JSON file, applied on top of the configuration read off the weights. Accepted, at the
/// top level or inside the blocks the golden configs use:
/// <list type="bullet">
/// <item>rosinality constructor arguments (<c>"constructor": {size, style_dim, n_mlp, lr_mlp, blur_kernel}</c>);</item>
/// <item>NVIDIA <c>"init_kwargs": {img_resolution, z_dim, w_dim, conv_clamp, num_fp16_res, mapping_kwargs, ...}</c>;</item>
/// <item>our own keys: <c>truncation_cutoff</c>, <c>demodulation_epsilon</c> ("rosinality" | "nvidia"),
/// <c>modulated_conv_path</c> ("auto" | "fused" | "non_fused").</item>
/// </list>
/// Architecture values must agree with the weights' shapes; a disagreement is an error, not an override.
/// </summary>
public static class StyleGan2ConfigFile
{
    public static StyleGan2Config Apply(StyleGan2Config config, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new FormatException("a StyleGAN2 config file holds one JSON object");

        var result = ApplyRosinality(config, root.TryGetProperty("constructor", out var ctor) ? ctor : root);
        var nvidia = root.TryGetProperty("init_kwargs", out var kwargs) ? kwargs : root;
        result = StyleGan2Weights.ApplyNvidiaKwargs(result, nvidia.GetRawText());

        if (root.TryGetProperty("truncation_cutoff", out var cutoff))
            result = result with { TruncationCutoff = cutoff.ValueKind == JsonValueKind.Null ? null : cutoff.GetInt32() };
        if (root.TryGetProperty("demodulation_epsilon", out var eps))
        {
            result = result with
            {
                DemodulationEpsilon = eps.GetString() switch
                {
                    "rosinality" => DemodulationEpsilon.Rosinality,
                    "nvidia" => DemodulationEpsilon.Nvidia,
                    var other => throw new FormatException($"demodulation_epsilon '{other}': expected 'rosinality' or 'nvidia'"),
                },
            };
        }

        if (root.TryGetProperty("modulated_conv_path", out var path))
        {
            result = result with
            {
                ModulatedConvPath = path.GetString() switch
                {
                    "auto" => ModulatedConvPath.Auto,
                    "fused" => ModulatedConvPath.Fused,
                    "non_fused" => ModulatedConvPath.NonFused,
                    var other => throw new FormatException($"modulated_conv_path '{other}': expected 'auto', 'fused' or 'non_fused'"),
                },
            };
        }

        return result;
    }

    private static StyleGan2Config ApplyRosinality(StyleGan2Config config, JsonElement e)
    {
        void Expect(string key, int actual)
        {
            if (e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.GetInt32() != actual)
                throw new ArgumentException($"config {key} = {v.GetInt32()}, but the weights' shapes give {actual}");
        }

        Expect("size", config.Size);
        Expect("style_dim", config.StyleDim);
        Expect("n_mlp", config.NMlp);
        var result = config;
        if (e.TryGetProperty("lr_mlp", out var lr) && lr.ValueKind == JsonValueKind.Number)
            result = result with { LrMlp = lr.GetDouble() };
        if (e.TryGetProperty("blur_kernel", out var blur) && blur.ValueKind == JsonValueKind.Array)
            result = result with { BlurKernel = blur.EnumerateArray().Select(x => x.GetInt32()).ToArray() };
        return result;
    }
}
