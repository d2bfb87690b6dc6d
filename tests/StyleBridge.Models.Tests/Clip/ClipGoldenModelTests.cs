using System.Text.Json;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;
using Xunit.Abstractions;

namespace StyleBridge.Models.Tests.Clip;

/// <summary>Every golden CLIP model set, loaded from each of its containers, against its recorded reference tensors.</summary>
[Trait("Category", "Golden")]
public sealed class ClipGoldenModelTests(ITestOutputHelper output)
{
    /// <summary>The golden README's bound for every float tensor of the <c>_io</c> file.</summary>
    private const double Tolerance = 1e-4;

    /// <summary>Tighter bounds the README calls out.</summary>
    private static readonly Dictionary<string, double> Tighter = new()
    {
        ["text_embeds"] = 0.0,
        ["visual_patch_embeds"] = 1e-5,
    };

    /// <summary>Inputs of the <c>_io</c> file (everything else is an output to match).</summary>
    private static readonly HashSet<string> Inputs = ["text_ids", "images"];

    public static TheoryData<string, string> Containers() => ClipGolden.Containers();

    public static TheoryData<string> Names() => ClipGolden.Names();

    [Fact]
    public void AtLeastOneModelSetIsComplete()
    {
        var sets = ClipGolden.ModelSets();
        Assert.NotEmpty(sets);
        foreach (var set in sets)
        {
            Assert.True(File.Exists(set.ConfigPath), $"{set.Name}: {set.ConfigPath} is missing");
            Assert.True(File.Exists(set.IoPath), $"{set.Name}: {set.IoPath} is missing");
            Assert.True(set.Containers.Count >= 1);
        }
    }

    [Theory]
    [MemberData(nameof(Containers))]
    public void EveryFloatTensorMatchesTheReference(string name, string container)
    {
        var set = ClipGolden.ModelSet(name);
        using var scope = NewDisposeScope();
        using var io = SafeTensors.Load(set.IoPath);
        using var model = ClipLoader.Load(Path.Combine(ClipGolden.Folder, container), c => c.WithJsonFile(set.ConfigPath));
        using var capture = new ClipActivations();

        using (inference_mode())
        {
            var imageFeatures = model.EncodeImage(io["images"], capture);
            var textFeatures = model.EncodeText(io["text_ids"], capture);
            var logits = model.Logits(imageFeatures, textFeatures);
            capture.Record("image_features", imageFeatures);
            capture.Record("text_features", textFeatures);
            capture.Record("image_features_normalized", ClipModel.Normalize(imageFeatures));
            capture.Record("text_features_normalized", ClipModel.Normalize(textFeatures));
            capture.Record("logits_per_image", logits.PerImage);
            capture.Record("logits_per_text", logits.PerText);
            capture.Record("logit_scale_exp", model.LogitScaleExp());
        }

        var failures = new List<string>();
        int compared = 0;
        foreach (var (tensorName, expected) in io)
        {
            if (Inputs.Contains(tensorName))
                continue;
            if (!capture.Tensors.TryGetValue(tensorName, out var actual))
            {
                failures.Add($"{tensorName}: not produced");
                continue;
            }

            compared++;
            if (!expected.dtype.IsFloatingPoint())
            {
                if (!actual.Equal(expected))
                    failures.Add($"{tensorName}: differs ({expected.dtype})");
                continue;
            }

            double diff = TensorDiff.MaxAbs(actual, expected);
            double bound = Tighter.GetValueOrDefault(tensorName, Tolerance);
            output.WriteLine($"{name} {container} {tensorName}: max |Δ| = {diff:E2} (bound {bound:E0})");
            if (diff > bound)
                failures.Add($"{tensorName}: max |Δ| {diff:E3} > {bound:E0}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(compared >= 4, $"only {compared} tensors compared");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ContainersHoldBitIdenticalTensors(string name)
    {
        var set = ClipGolden.ModelSet(name);
        using var reference = ClipGolden.LoadState(set);
        foreach (string container in set.Containers.Skip(1))
        {
            using var other = ClipLoader.ReadStateDict(container);
            AssertSameTensors(reference, other, container);
        }

        // the TorchScript archives once more through libtorch's own loader
        foreach (string container in set.Containers.Where(c => WeightFiles.Detect(c) == WeightFileFormat.TorchScript))
        {
            using var scope = NewDisposeScope();
            using var viaLibtorch = new StateDict();
            using var module = torch.jit.load(container);
            foreach (var (tensorName, tensor) in module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(module.named_buffers()))
                viaLibtorch.Add(tensorName, tensor.detach().clone().DetachFromDisposeScope());
            AssertSameTensors(reference, viaLibtorch, container + " (torch::jit::load)");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ShapeInferenceAgreesWithTheConfigExceptWhatShapesCannotTell(string name)
    {
        var set = ClipGolden.ModelSet(name);
        using var state = ClipGolden.LoadState(set);
        var inferred = ClipConfig.FromStateDict(state);
        var configured = ClipConfig.FromJsonFile(set.ConfigPath);
        using var json = JsonDocument.Parse(File.ReadAllText(set.ConfigPath));

        // build_model's rule is width // 64; the file says what it would infer when that differs
        int expectedHeads = json.RootElement.TryGetProperty("build_model_inferred_transformer_heads", out var h)
            ? h.GetInt32()
            : configured.TransformerWidth / 64;
        Assert.Equal(expectedHeads, inferred.TransformerHeads);
        Assert.Equal(configured with { TransformerHeads = expectedHeads }, inferred);
        Assert.Equal(configured, inferred.WithJsonFile(set.ConfigPath));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void PromptsInTheMetadataTokenizeToTheStoredIds(string name)
    {
        var set = ClipGolden.ModelSet(name);
        using var io = SafeTensors.Load(set.IoPath);
        if (!io.Metadata.TryGetValue("prompts", out string? promptsJson))
            return; // nothing to cross-check in this set
        var prompts = JsonSerializer.Deserialize<string[]>(promptsJson)!;
        var tokenizer = ClipTokenizer.FromOpenAiVocab(GoldenData.Path("clip", "bpe_simple_vocab_16e6.txt.gz"));
        var ids = tokenizer.TokenizeBatch(prompts, truncate: true);
        Assert.Equal(ids.Cast<long>().ToArray(), io["text_ids"].ToArray<long>());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TrimmingPaddingGivesTheSameTextFeatures(string name)
    {
        var set = ClipGolden.ModelSet(name);
        using var scope = NewDisposeScope();
        using var io = SafeTensors.Load(set.IoPath);
        using var model = ClipLoader.Load(set.StatePath, c => c.WithJsonFile(set.ConfigPath));
        using var inference = inference_mode();
        var full = model.EncodeText(io["text_ids"]);
        var trimmed = model.EncodeText(io["text_ids"], trimPadding: true);
        double diff = TensorDiff.MaxAbs(full, trimmed);
        output.WriteLine($"trimmed vs full: max |Δ| = {diff:E2}");
        Assert.True(diff <= 1e-5, $"max |Δ| {diff:E3}");
        Assert.True(TensorDiff.MaxAbs(trimmed, io["text_features"]) <= Tolerance);
    }

    private static void AssertSameTensors(StateDict expected, StateDict actual, string what)
    {
        var extra = actual.Keys.Except(expected.Keys).ToList();
        Assert.True(extra.All(ClipLoader.IgnoredKeys.Contains), $"{what}: unexpected keys {string.Join(", ", extra)}");
        var missing = expected.Keys.Except(actual.Keys).ToList();
        Assert.True(missing.Count == 0, $"{what}: missing keys {string.Join(", ", missing)}");
        foreach (var (key, tensor) in expected)
        {
            Assert.Equal(tensor.dtype, actual[key].dtype);
            Assert.True(tensor.Equal(actual[key]), $"{what}: '{key}' differs");
        }
    }
}
