using System.Text.Json;
using StyleBridge.Models.Clip;

namespace StyleBridge.Models.Tests;

public sealed class ClipConfigTests
{
    private static readonly Lazy<JsonDocument> Manifest = new(() => JsonDocument.Parse(File.ReadAllText(GoldenData.Path("clip", "manifest_vit_b32.json"))));

    private static JsonElement ManifestRoot => Manifest.Value.RootElement;

    private static List<(string Name, long[] Shape)> ManifestTensors() =>
        ManifestRoot.GetProperty("tensors").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()))
            .ToList();

    [Fact]
    public void FullSizeVitB32HasExactlyTheManifestParameters()
    {
        var config = ClipConfig.FromJson(ManifestRoot.GetRawText());
        Assert.Equal(ClipConfig.VitB32, config);
        using var model = new ClipModel(config, initialize: false);
        var expected = ManifestTensors();
        var actual = StateDicts.Of(model).Select(kv => (kv.Key, kv.Value.shape)).ToList();

        Assert.Equal(ManifestRoot.GetProperty("num_tensors").GetInt32(), expected.Count);
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Key)); // names and order
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].Shape.SequenceEqual(actual[i].shape), $"{expected[i].Name}: [{string.Join(", ", actual[i].shape)}]");
        Assert.Equal(ManifestRoot.GetProperty("total_numel").GetInt64(), model.ParameterCount());
        Assert.Equal(expected.Select(t => t.Name), model.named_parameters().Select(p => p.name)); // all are parameters, no buffers

        var derived = ManifestRoot.GetProperty("derived");
        Assert.Equal(derived.GetProperty("vision_heads").GetInt32(), model.Visual.Transformer.Resblocks[0].Attn.Heads);
        Assert.Equal(derived.GetProperty("vision_sequence_length").GetInt32(), config.VisionSequenceLength);
        Assert.Equal(derived.GetProperty("grid_size").GetInt32(), config.GridSize);
    }

    [Fact]
    public void InferenceFromTheManifestShapesGivesBuildModelsHyperparameters()
    {
        var shapes = ManifestTensors();
        using var scope = NewDisposeScope();
        var stateDict = ShapeOnly(shapes);
        var inferred = ClipConfig.FromStateDict(stateDict);
        var expected = ClipConfig.FromJson(ManifestRoot.GetProperty("hyperparameters_inferred_by_build_model_from_this_state_dict").GetRawText());
        Assert.Equal(expected, inferred);
    }

    [Fact]
    public void LayoutGeneratorReproducesTheManifest()
    {
        // the generator below is what the ViT-B/16 and ViT-L/14 checks rely on: check it against the golden layout first
        var expected = ManifestTensors();
        var generated = ReferenceLayout(ClipConfig.VitB32);
        Assert.Equal(expected.Select(t => t.Name), generated.Select(t => t.Name));
        Assert.True(expected.Zip(generated).All(p => p.First.Shape.SequenceEqual(p.Second.Shape)));
    }

    [Theory]
    [InlineData("ViT-B/32")]
    [InlineData("ViT-B/16")]
    [InlineData("ViT-L/14")]
    public void ReleasedVitLayoutsInferTheirConfigs(string model)
    {
        var config = model switch
        {
            "ViT-B/32" => ClipConfig.VitB32,
            "ViT-B/16" => ClipConfig.VitB16,
            _ => ClipConfig.VitL14,
        };
        using var scope = NewDisposeScope();
        var stateDict = ShapeOnly(ReferenceLayout(config));
        foreach (string extra in ClipLoader.IgnoredKeys)
            stateDict[extra] = Tensors.Scalar(0, ScalarType.Int64);
        Assert.Equal(config, ClipConfig.FromStateDict(stateDict));
    }

    [Fact]
    public void ResNetCheckpointsAreReportedAsUnsupported()
    {
        using var scope = NewDisposeScope();
        var stateDict = ShapeOnly([("visual.layer1.0.conv1.weight", [64, 64, 1, 1]), ("text_projection", [512, 1024])]);
        var e = Assert.Throws<NotSupportedException>(() => ClipConfig.FromStateDict(stateDict));
        Assert.Contains("ResNet", e.Message);
    }

    [Fact]
    public void JsonOverridesReplaceOnlyTheGivenValues()
    {
        var config = ClipConfig.VitB32.WithJson("""{"transformer_heads": 4}""");
        Assert.Equal(ClipConfig.VitB32 with { TransformerHeads = 4 }, config);
        var wider = ClipConfig.VitB32.WithJson("""{"config": {"vision_width": 1024}}""");
        Assert.Equal(16, wider.VisionHeads);
        Assert.Throws<FormatException>(() => ClipConfig.FromJson("""{"embed_dim": 512}"""));
        var odd = ClipConfig.VitL14 with { VisionHeads = 8, TransformerHeads = 6 };
        Assert.Equal(odd, ClipConfig.FromJson(odd.ToJson()));
        Assert.Throws<ArgumentException>(() => new ClipModel(ClipConfig.VitB32 with { TransformerHeads = 7 }, initialize: false));
    }

    /// <summary>Zero-stride views with the given shapes: shape inference reads nothing else.</summary>
    private static Dictionary<string, Tensor> ShapeOnly(IEnumerable<(string Name, long[] Shape)> layout)
    {
        var one = zeros(new long[] { 1 });
        return layout.ToDictionary(
            t => t.Name,
            t => t.Shape.Length == 0 ? one.view() : one.view(Enumerable.Repeat(1L, t.Shape.Length).ToArray()).expand(t.Shape));
    }

    /// <summary>The reference <c>CLIP</c> state_dict layout (names in order, shapes) for a configuration, written from clip/model.py.</summary>
    private static List<(string Name, long[] Shape)> ReferenceLayout(ClipConfig c)
    {
        long grid = c.ImageResolution / c.VisionPatchSize;
        var layout = new List<(string, long[])>
        {
            ("positional_embedding", [c.ContextLength, c.TransformerWidth]),
            ("text_projection", [c.TransformerWidth, c.EmbedDim]),
            ("logit_scale", []),
            ("visual.class_embedding", [c.VisionWidth]),
            ("visual.positional_embedding", [grid * grid + 1, c.VisionWidth]),
            ("visual.proj", [c.VisionWidth, c.EmbedDim]),
            ("visual.conv1.weight", [c.VisionWidth, 3, c.VisionPatchSize, c.VisionPatchSize]),
            ("visual.ln_pre.weight", [c.VisionWidth]),
            ("visual.ln_pre.bias", [c.VisionWidth]),
        };
        void Blocks(string prefix, int layers, long w)
        {
            for (int i = 0; i < layers; i++)
            {
                string p = $"{prefix}resblocks.{i}.";
                layout.Add((p + "attn.in_proj_weight", [3 * w, w]));
                layout.Add((p + "attn.in_proj_bias", [3 * w]));
                layout.Add((p + "attn.out_proj.weight", [w, w]));
                layout.Add((p + "attn.out_proj.bias", [w]));
                layout.Add((p + "ln_1.weight", [w]));
                layout.Add((p + "ln_1.bias", [w]));
                layout.Add((p + "mlp.c_fc.weight", [4 * w, w]));
                layout.Add((p + "mlp.c_fc.bias", [4 * w]));
                layout.Add((p + "mlp.c_proj.weight", [w, 4 * w]));
                layout.Add((p + "mlp.c_proj.bias", [w]));
                layout.Add((p + "ln_2.weight", [w]));
                layout.Add((p + "ln_2.bias", [w]));
            }
        }

        Blocks("visual.transformer.", c.VisionLayers, c.VisionWidth);
        layout.Add(("visual.ln_post.weight", [c.VisionWidth]));
        layout.Add(("visual.ln_post.bias", [c.VisionWidth]));
        Blocks("transformer.", c.TransformerLayers, c.TransformerWidth);
        layout.Add(("token_embedding.weight", [c.VocabSize, c.TransformerWidth]));
        layout.Add(("ln_final.weight", [c.TransformerWidth]));
        layout.Add(("ln_final.bias", [c.TransformerWidth]));
        return layout;
    }
}
