using System.Text.RegularExpressions;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The name map between OpenAI's CLIP state dict and Hugging Face <c>CLIPModel</c> (e.g.
/// <c>openai/clip-vit-base-patch32</c> <c>model.safetensors</c>). Hugging Face splits the packed attention
/// projection into <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c> (rows 0–w, w–2w, 2w–3w of <c>in_proj_weight</c>)
/// and stores both projections as Linear weights [embed, width], the transposes of OpenAI's
/// <c>text_projection</c> and <c>visual.proj</c>. Its <c>*.position_ids</c> buffers are dropped.
/// </summary>
public static partial class ClipHuggingFaceNames
{
    private static readonly (string OpenAi, string HuggingFace)[] Direct =
    [
        ("token_embedding.weight", "text_model.embeddings.token_embedding.weight"),
        ("positional_embedding", "text_model.embeddings.position_embedding.weight"),
        ("ln_final.weight", "text_model.final_layer_norm.weight"),
        ("ln_final.bias", "text_model.final_layer_norm.bias"),
        ("visual.class_embedding", "vision_model.embeddings.class_embedding"),
        ("visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"),
        ("visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"),
        ("visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"),
        ("visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"),
        ("visual.ln_post.weight", "vision_model.post_layernorm.weight"),
        ("visual.ln_post.bias", "vision_model.post_layernorm.bias"),
        ("logit_scale", "logit_scale"),
    ];

    private static readonly (string OpenAi, string HuggingFace)[] Transposed =
    [
        ("text_projection", "text_projection.weight"),
        ("visual.proj", "visual_projection.weight"),
    ];

    // per block, after the prefix
    private static readonly (string OpenAi, string HuggingFace)[] BlockDirect =
    [
        ("attn.out_proj.weight", "self_attn.out_proj.weight"),
        ("attn.out_proj.bias", "self_attn.out_proj.bias"),
        ("ln_1.weight", "layer_norm1.weight"),
        ("ln_1.bias", "layer_norm1.bias"),
        ("mlp.c_fc.weight", "mlp.fc1.weight"),
        ("mlp.c_fc.bias", "mlp.fc1.bias"),
        ("mlp.c_proj.weight", "mlp.fc2.weight"),
        ("mlp.c_proj.bias", "mlp.fc2.bias"),
        ("ln_2.weight", "layer_norm2.weight"),
        ("ln_2.bias", "layer_norm2.bias"),
    ];

    private static readonly (string OpenAi, string HuggingFace)[] Towers =
    [
        ("transformer.resblocks.", "text_model.encoder.layers."),
        ("visual.transformer.resblocks.", "vision_model.encoder.layers."),
    ];

    private static readonly string[] Projections = ["q_proj", "k_proj", "v_proj"];

    /// <summary>Whether the keys are Hugging Face <c>CLIPModel</c> names.</summary>
    public static bool IsHuggingFace(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("text_model.", StringComparison.Ordinal) || k.StartsWith("vision_model.", StringComparison.Ordinal));

    /// <summary>Hugging Face names → OpenAI names. New handles (views or new tensors); the source keeps its own.</summary>
    public static StateDict ToOpenAi(IReadOnlyDictionary<string, Tensor> huggingFace)
    {
        ArgumentNullException.ThrowIfNull(huggingFace);
        var direct = Direct.ToDictionary(p => p.HuggingFace, p => p.OpenAi, StringComparer.Ordinal);
        var transposed = Transposed.ToDictionary(p => p.HuggingFace, p => p.OpenAi, StringComparer.Ordinal);
        var blockDirect = BlockDirect.ToDictionary(p => p.HuggingFace, p => p.OpenAi, StringComparer.Ordinal);
        var packed = new SortedDictionary<string, Tensor?[]>(StringComparer.Ordinal); // OpenAI in_proj name → q, k, v

        using var scope = NewDisposeScope();
        var result = new StateDict();
        try
        {
            foreach (var (name, tensor) in huggingFace)
            {
                if (name.EndsWith(".position_ids", StringComparison.Ordinal))
                    continue;
                if (direct.TryGetValue(name, out var openAi))
                {
                    result.Add(openAi, tensor.alias().DetachFromDisposeScope());
                    continue;
                }

                if (transposed.TryGetValue(name, out openAi))
                {
                    result.Add(openAi, tensor.t().DetachFromDisposeScope());
                    continue;
                }

                var m = HuggingFaceBlockKey().Match(name);
                if (!m.Success)
                    throw new ArgumentException($"'{name}' is not a Hugging Face CLIPModel tensor this map knows", nameof(huggingFace));
                string prefix = (m.Groups[1].Value == "text_model" ? Towers[0].OpenAi : Towers[1].OpenAi) + m.Groups[2].Value + ".";
                string rest = m.Groups[3].Value;
                if (blockDirect.TryGetValue(rest, out openAi))
                {
                    result.Add(prefix + openAi, tensor.alias().DetachFromDisposeScope());
                    continue;
                }

                var qkv = QkvKey().Match(rest);
                if (!qkv.Success)
                    throw new ArgumentException($"'{name}' is not a Hugging Face CLIPModel tensor this map knows", nameof(huggingFace));
                string target = prefix + "attn.in_proj_" + qkv.Groups[2].Value;
                if (!packed.TryGetValue(target, out var parts))
                    packed[target] = parts = new Tensor?[3];
                parts[Array.IndexOf(Projections, qkv.Groups[1].Value)] = tensor;
            }

            foreach (var (target, parts) in packed)
            {
                if (parts.Any(p => p is null))
                    throw new ArgumentException($"incomplete attention projections for '{target}': q, k and v are all needed", nameof(huggingFace));
                result.Add(target, cat(parts.Select(p => p!).ToArray(), 0).DetachFromDisposeScope());
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>OpenAI names → Hugging Face names (without <c>position_ids</c>). New handles; the source keeps its own.</summary>
    public static StateDict FromOpenAi(IReadOnlyDictionary<string, Tensor> openAi)
    {
        ArgumentNullException.ThrowIfNull(openAi);
        var direct = Direct.ToDictionary(p => p.OpenAi, p => p.HuggingFace, StringComparer.Ordinal);
        var transposed = Transposed.ToDictionary(p => p.OpenAi, p => p.HuggingFace, StringComparer.Ordinal);
        var blockDirect = BlockDirect.ToDictionary(p => p.OpenAi, p => p.HuggingFace, StringComparer.Ordinal);

        using var scope = NewDisposeScope();
        var result = new StateDict();
        try
        {
            foreach (var (name, tensor) in openAi)
            {
                if (ClipLoader.IgnoredKeys.Contains(name))
                    continue;
                if (direct.TryGetValue(name, out var hf))
                {
                    result.Add(hf, tensor.alias().DetachFromDisposeScope());
                    continue;
                }

                if (transposed.TryGetValue(name, out hf))
                {
                    result.Add(hf, tensor.t().DetachFromDisposeScope());
                    continue;
                }

                var m = OpenAiBlockKey().Match(name);
                if (!m.Success)
                    throw new ArgumentException($"'{name}' is not an OpenAI CLIP (ViT) tensor this map knows", nameof(openAi));
                string prefix = (m.Groups[1].Value.Length == 0 ? Towers[0].HuggingFace : Towers[1].HuggingFace) + m.Groups[2].Value + ".";
                string rest = m.Groups[3].Value;
                if (blockDirect.TryGetValue(rest, out hf))
                {
                    result.Add(prefix + hf, tensor.alias().DetachFromDisposeScope());
                }
                else if (rest is "attn.in_proj_weight" or "attn.in_proj_bias")
                {
                    string kind = rest == "attn.in_proj_weight" ? "weight" : "bias";
                    var parts = tensor.chunk(3, 0);
                    for (int i = 0; i < 3; i++)
                        result.Add($"{prefix}self_attn.{Projections[i]}.{kind}", parts[i].DetachFromDisposeScope());
                }
                else
                {
                    throw new ArgumentException($"'{name}' is not an OpenAI CLIP (ViT) tensor this map knows", nameof(openAi));
                }
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"^(text_model|vision_model)\.encoder\.layers\.(\d+)\.(.+)$")]
    private static partial Regex HuggingFaceBlockKey();

    [GeneratedRegex(@"^self_attn\.(q_proj|k_proj|v_proj)\.(weight|bias)$")]
    private static partial Regex QkvKey();

    [GeneratedRegex(@"^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$")]
    private static partial Regex OpenAiBlockKey();
}
