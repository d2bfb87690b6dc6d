using System.Text.Json;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests;

public sealed class ClipLoaderTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("sb-clip-").FullName;

    public static TheoryData<string> Names() => ClipGolden.Names();

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Theory]
    [MemberData(nameof(Names))]
    public void HuggingFaceNamesRoundTripBitIdentically(string name)
    {
        var set = ClipGolden.ModelSet(name);
        using var openAi = ClipGolden.LoadState(set);
        var config = ClipConfig.FromJsonFile(set.ConfigPath);
        using var hf = ClipHuggingFaceNames.FromOpenAi(openAi);

        // the published layout: packed attention split in three, projections as Linear weights [embed, width]
        int layers = config.TransformerLayers + config.VisionLayers;
        Assert.Equal(openAi.Count + 4 * layers, hf.Count);
        Assert.Equal([config.EmbedDim, config.TransformerWidth], hf["text_projection.weight"].shape);
        Assert.Equal([config.EmbedDim, config.VisionWidth], hf["visual_projection.weight"].shape);
        Assert.Equal([config.TransformerWidth, config.TransformerWidth], hf["text_model.encoder.layers.0.self_attn.k_proj.weight"].shape);
        Assert.Equal([config.VisionWidth], hf["vision_model.encoder.layers.0.self_attn.v_proj.bias"].shape);
        Assert.True(hf.ContainsKey("vision_model.pre_layrnorm.weight"));
        Assert.True(hf.ContainsKey("vision_model.post_layernorm.bias"));
        Assert.True(hf.ContainsKey("text_model.final_layer_norm.weight"));
        Assert.True(hf.ContainsKey("text_model.encoder.layers.1.mlp.fc2.bias"));
        Assert.True(hf.ContainsKey("vision_model.encoder.layers.1.layer_norm2.weight"));
        Assert.DoesNotContain(hf.Keys, k => k.StartsWith("visual.", StringComparison.Ordinal) || k.StartsWith("transformer.", StringComparison.Ordinal));
        using (var scope = NewDisposeScope())
        {
            var w = config.TransformerWidth;
            var packed = openAi["transformer.resblocks.0.attn.in_proj_weight"];
            Assert.True(packed.narrow(0, w, w).Equal(hf["text_model.encoder.layers.0.self_attn.k_proj.weight"]));
            Assert.True(openAi["visual.proj"].t().Equal(hf["visual_projection.weight"]));
        }

        using var back = ClipHuggingFaceNames.ToOpenAi(hf);
        Assert.Equal(openAi.Keys.Order(StringComparer.Ordinal), back.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in openAi)
            Assert.True(tensor.Equal(back[key]), $"'{key}' changed in the round trip");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void HuggingFaceFileLoadsAndMatchesTheReference(string name)
    {
        var set = ClipGolden.ModelSet(name);
        string path = Path.Combine(temp, "model.safetensors");
        using (var openAi = ClipGolden.LoadState(set))
        using (var hf = ClipHuggingFaceNames.FromOpenAi(openAi))
        using (var scope = NewDisposeScope())
        {
            var withBuffers = hf.ToList();
            withBuffers.Add(new("text_model.embeddings.position_ids", Tensors.Arange(config(set).ContextLength).view(1, -1)));
            withBuffers.Add(new("vision_model.embeddings.position_ids", Tensors.Arange(config(set).VisionSequenceLength).view(1, -1)));
            SafeTensors.Save(path, withBuffers, new Dictionary<string, string> { ["format"] = "pt" });
        }

        AssertMatchesGoldenLogits(set, path);
        static ClipConfig config(ClipModelSet s) => ClipConfig.FromJsonFile(s.ConfigPath);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void HalfPrecisionWeightsAreWidenedToFloat32(string name)
    {
        // store what the reference convert_weights (and so the released archive) keeps in float16, per the manifest
        var set = ClipGolden.ModelSet(name);
        var halfNames = ManifestHalfNames();
        string path = Path.Combine(temp, "half.safetensors");
        using (var state = ClipGolden.LoadState(set))
        using (var scope = NewDisposeScope())
        {
            var converted = state.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, halfNames.Contains(kv.Key) ? kv.Value.to(ScalarType.Float16) : kv.Value)).ToList();
            converted.Add(new("input_resolution", Tensors.Scalar(ClipConfig.FromJsonFile(set.ConfigPath).ImageResolution, ScalarType.Int64)));
            converted.Add(new("context_length", Tensors.Scalar(77, ScalarType.Int64)));
            converted.Add(new("vocab_size", Tensors.Scalar(49408, ScalarType.Int64)));
            SafeTensors.Save(path, converted);
        }

        using (var read = ClipLoader.ReadStateDict(path))
        using (var state = ClipGolden.LoadState(set))
        using (var scope = NewDisposeScope())
        {
            Assert.Contains(read.Keys, halfNames.Contains);
            foreach (var (key, tensor) in state)
            {
                Assert.Equal(ScalarType.Float32, read[key].dtype);
                var expected = halfNames.Contains(key) ? tensor.to(ScalarType.Float16).to(ScalarType.Float32) : tensor;
                Assert.True(expected.Equal(read[key]), key);
            }
        }

        using var model = ClipLoader.Load(path, c => c.WithJsonFile(set.ConfigPath));
        using var io = SafeTensors.Load(set.IoPath);
        using var s = NewDisposeScope();
        using var inference = inference_mode();
        var logits = model.Forward(io["images"], io["text_ids"]);
        // float16 weights move the logits by far more than float32 rounding, but the model must still be CLIP
        double diff = TensorDiff.MaxAbs(logits.PerImage, io["logits_per_image"]);
        Assert.InRange(diff, 1e-7, 0.05);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MisfitsAreReportedTogether(string name)
    {
        var set = ClipGolden.ModelSet(name);
        using var state = ClipGolden.LoadState(set);
        using var scope = NewDisposeScope();
        var broken = state.Where(kv => kv.Key != "ln_final.bias").ToDictionary(kv => kv.Key, kv => kv.Value);
        broken["visual.extra"] = zeros(new long[] { 1 });
        var e = Assert.Throws<StateDictMismatchException>(() => ClipLoader.FromStateDict(broken));
        Assert.Equal(["ln_final.bias"], e.MissingKeys);
        Assert.Equal(["visual.extra"], e.UnexpectedKeys);

        var wrongResolution = state.ToDictionary(kv => kv.Key, kv => kv.Value);
        wrongResolution["input_resolution"] = Tensors.Scalar(224, ScalarType.Int64);
        Assert.Throws<ArgumentException>(() => ClipLoader.FromStateDict(wrongResolution));
        Assert.Throws<ArgumentException>(() => ClipLoader.FromStateDict(state, dtype: ScalarType.Float16));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void CpuStaysFloat32(string name)
    {
        var set = ClipGolden.ModelSet(name);
        using var model = ClipLoader.Load(set.StatePath, c => c.WithJsonFile(set.ConfigPath), CPU);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
        Assert.Throws<ArgumentException>(() => model.ToDevice(CPU, ScalarType.Float16));
        Assert.Throws<ArgumentException>(() => model.ToDevice(CPU, ScalarType.BFloat16));
    }

    [CudaTheory]
    [MemberData(nameof(Names))]
    public void CudaHalfPrecisionKeepsLayerNormsInFloat32(string name)
    {
        var set = ClipGolden.ModelSet(name);
        foreach (var dtype in (ScalarType[])[ScalarType.Float16, ScalarType.BFloat16])
        {
            using var model = ClipLoader.Load(set.StatePath, c => c.WithJsonFile(set.ConfigPath), CUDA, dtype);
            foreach (var (paramName, p) in model.named_parameters())
            {
                Assert.True(p.device.IsCuda(), paramName);
                bool float32 = paramName.Contains("ln_") || paramName == "logit_scale";
                Assert.Equal(float32 ? ScalarType.Float32 : dtype, p.dtype);
            }

            using var io = SafeTensors.Load(set.IoPath);
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var logits = model.Forward(io["images"].to(CUDA), io["text_ids"].to(CUDA));
            Assert.Equal(ScalarType.Float32, logits.PerImage.dtype);
            Assert.True(TensorDiff.MaxAbs(logits.PerImage, io["logits_per_image"]) < 0.1, dtype.ToString());
        }
    }

    private static HashSet<string> ManifestHalfNames()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(GoldenData.Path("clip", "manifest_vit_b32.json")));
        return manifest.RootElement.GetProperty("tensors").EnumerateArray()
            .Where(t => t.GetProperty("dtype_after_convert_weights").GetString() == "float16")
            .Select(t => t.GetProperty("name").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static void AssertMatchesGoldenLogits(ClipModelSet set, string path)
    {
        using var model = ClipLoader.Load(path, c => c.WithJsonFile(set.ConfigPath));
        using var io = SafeTensors.Load(set.IoPath);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var image = model.EncodeImage(io["images"]);
        var text = model.EncodeText(io["text_ids"]);
        var logits = model.Logits(image, text);
        Assert.True(TensorDiff.MaxAbs(image, io["image_features"]) <= 1e-4);
        Assert.True(TensorDiff.MaxAbs(text, io["text_features"]) <= 1e-4);
        Assert.True(TensorDiff.MaxAbs(logits.PerImage, io["logits_per_image"]) <= 1e-4);
    }
}

/// <summary>A theory that runs only where libtorch sees a CUDA device; elsewhere it is reported as skipped.</summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute()
    {
        if (!torch.cuda.is_available())
            Skip = "no CUDA device";
    }
}
