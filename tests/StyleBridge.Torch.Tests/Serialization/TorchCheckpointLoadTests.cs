using System.Text.Json;
using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>Tensors materialised from torch.save / TorchScript archives, compared bit for bit.</summary>
[Collection(PythonFixturesCollection.Name)]
public sealed class TorchCheckpointLoadTests(PythonFixtures fixtures)
{
    [Fact]
    public void ClipStateDictEqualsSafetensors()
    {
        using var expected = SafeTensors.Load(Golden.File("clip", "tiny_state.safetensors"));
        using var actual = TorchCheckpoint.LoadStateDict(Golden.File("clip", "tiny_state_dict.pt"));

        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, t) in expected)
            TensorAssert.BitEqual(t, actual[name], name);
    }

    [Fact]
    public void ClipTorchScriptEqualsSafetensorsPlusIntBuffers()
    {
        using var expected = SafeTensors.Load(Golden.File("clip", "tiny_state.safetensors"));
        using var actual = TorchScriptArchive.LoadStateDict(Golden.File("clip", "tiny_jit.pt"));

        Assert.Equal(65, actual.Count);
        foreach (var (name, t) in expected)
            TensorAssert.BitEqual(t, actual[name], name);
        Assert.Equal(32L, actual["input_resolution"].item<long>());
        Assert.Equal(77L, actual["context_length"].item<long>());
        Assert.Equal(49408L, actual["vocab_size"].item<long>());
        Assert.All(new[] { "input_resolution", "context_length", "vocab_size" }, n => Assert.Empty(actual[n].shape));
    }

    [Fact]
    public void ManagedTorchScriptReaderAgreesWithLibtorch() =>
        AssertSameAsLibtorch(Golden.File("clip", "tiny_jit.pt"));

    [PythonTheory]
    [InlineData("traced.pt")]
    [InlineData("scripted.pt")]
    public void ManagedTorchScriptReaderAgreesWithLibtorchOnFixtures(string file) =>
        AssertSameAsLibtorch(fixtures.File(file));

    private static void AssertSameAsLibtorch(string path)
    {
        using var scope = NewDisposeScope();
        using var module = jit.load(path);
        // libtorch lists all parameters, then all buffers; the managed reader keeps state_dict order
        var native = module.named_parameters().Select(p => (p.name, Tensor: (Tensor)p.parameter))
            .Concat(module.named_buffers().Select(b => (b.name, Tensor: b.buffer)))
            .ToList();
        using var managed = TorchScriptArchive.LoadStateDict(path);

        Assert.NotEmpty(native);
        Assert.Equal(native.Select(n => n.name).Order(StringComparer.Ordinal), managed.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in native)
            TensorAssert.BitEqual(tensor, managed[name], name);
    }

    [Fact]
    public void ClipTorchScriptConstantsHoldTheCausalMask()
    {
        using var constants = TorchScriptArchive.LoadConstants(Golden.File("clip", "tiny_jit.pt"));

        var mask = constants.Values.Single(t => t.shape.SequenceEqual([77L, 77L]));
        float[] values = mask.Values<float>();
        Assert.Equal(0f, values[0]);
        Assert.Equal(float.NegativeInfinity, values[1]);
        Assert.Equal(0f, values[76 * 77 + 75]);
        Assert.Equal(float.NegativeInfinity, values[75 * 77 + 76]);
    }

    [Fact]
    public void RosinalityGEmaAndLatentAvg()
    {
        string path = Golden.File("stylegan2", "rosinality", "tiny_ckpt.pt");
        using var expected = SafeTensors.Load(Golden.File("stylegan2", "rosinality", "tiny_state.safetensors"));
        using var io = SafeTensors.Load(Golden.File("stylegan2", "rosinality", "tiny_io.safetensors"), n => n == "mean_latent");

        using var gEma = TorchCheckpoint.LoadStateDict(path, "g_ema");
        using var checkpoint = TorchCheckpoint.Load(path);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), gEma.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in expected)
            TensorAssert.BitEqual(t, gEma[name], name);
        var root = Assert.IsType<PickleDict>(checkpoint.Root);
        var latentAvg = Assert.IsType<Tensor>(root["latent_avg"]);
        using var meanLatent = io["mean_latent"].view(64);
        TensorAssert.BitEqual(meanLatent, latentAvg, "latent_avg");
        Assert.Equal(74, checkpoint.Tensors.Count);
    }

    [Fact]
    public void PriorEmaWeightsEqualSafetensors()
    {
        using var expected = SafeTensors.Load(Golden.File("prior", "tiny_state.safetensors"));
        using var actual = TorchCheckpoint.LoadStateDict(Golden.File("prior", "tiny_ckpt.pt"), "state_dict");

        Assert.Equal(141, actual.Count);
        foreach (var (name, t) in expected)
            TensorAssert.BitEqual(t, actual[name], name);
        Assert.Equal(1234f, actual["step"].Values<float>()[0]);
    }

    [Fact]
    public void WeightFilesDispatchesOnFormat()
    {
        using var fromSafetensors = WeightFiles.LoadStateDict(Golden.File("clip", "tiny_state.safetensors"));
        using var fromPt = WeightFiles.LoadStateDict(Golden.File("stylegan2", "rosinality", "tiny_ckpt.pt"), "g_ema");
        using var fromJit = WeightFiles.LoadStateDict(Golden.File("clip", "tiny_jit.pt"), "visual");

        Assert.Equal(62, fromSafetensors.Count);
        Assert.Equal(73, fromPt.Count);
        TensorAssert.BitEqual(fromSafetensors["visual.conv1.weight"], fromJit["conv1.weight"], "conv1.weight");
    }

    [PythonTheory]
    [InlineData("views.pt")]
    [InlineData("views_proto4.pt")]
    [InlineData("views_proto5.pt")]
    [InlineData("deflated.pt")]
    [InlineData("unaligned.pt")]
    public void ViewsDtypesAndStridesMatchPython(string file)
    {
        var names = JsonSerializer.Deserialize<string[]>(File.ReadAllText(fixtures.File("views.names.json")))!;

        using var actual = TorchCheckpoint.LoadStateDict(fixtures.File(file));

        Assert.Equal(names, actual.Keys);
        foreach (string name in names)
            AssertMatchesNpy(actual[name], fixtures.File($"views.{name}.npy"), name);
        Assert.False(actual["transposed"].is_contiguous());
        Assert.Equal([1L, 5], actual["transposed"].stride());
        Assert.Equal([6L, 2], actual["view"].stride());
        Assert.Equal([0L, 1], actual["expanded"].stride());
    }

    [PythonFact]
    public void ViewsOfOneStorageShareMemory()
    {
        using var checkpoint = TorchCheckpoint.Load(fixtures.File("views.pt"));
        var root = Assert.IsType<PickleDict>(checkpoint.Root);
        var baseTensor = Assert.IsType<Tensor>(root["base"]);
        var view = Assert.IsType<Tensor>(root["view"]);

        Assert.Equal(baseTensor.storage_offset() + 6, view.storage_offset());
        using var before = view.clone();
        baseTensor.add_(1); // a write through one tensor shows through the other: one storage
        using var expected = before + 1;
        Assert.True(view.Equals(expected), "view does not share base's storage");
        Assert.Equal(root.Count, checkpoint.Tensors.Count);
    }

    [PythonFact]
    public void TrainingCheckpointLoadsWhatIsAsked()
    {
        string path = fixtures.File("namespace.pt");

        using var gEma = TorchCheckpoint.LoadStateDict(path, "g_ema");
        using var checkpoint = TorchCheckpoint.Load(path);

        foreach (var (name, t) in gEma)
            AssertMatchesNpy(t, fixtures.File($"namespace.g_ema.{name}.npy"), name);
        var root = Assert.IsType<PickleDict>(checkpoint.Root);
        AssertMatchesNpy(Assert.IsType<Tensor>(root["latent_avg"]), fixtures.File("namespace.latent_avg.npy"), "latent_avg");
        var optimState = Assert.IsType<PickleDict>(Assert.IsType<PickleDict>(root["optim"])["state"]);
        Assert.IsType<Tensor>(Assert.IsType<PickleDict>(optimState["0"])["exp_avg"]);
        Assert.IsType<PickleObject>(root["args"]);
    }

    [PythonTheory]
    [InlineData("whole_module.pt", null)]
    [InlineData("whole_module_in_dict.pt", "model")]
    public void WholePickledModuleGivesItsStateDict(string file, string? key)
    {
        var names = JsonSerializer.Deserialize<string[]>(File.ReadAllText(fixtures.File("whole_module.names.json")))!;

        using var sd = TorchCheckpoint.LoadStateDict(fixtures.File(file), key);

        Assert.Equal(names, sd.Keys);
        foreach (var (name, t) in sd)
            AssertMatchesNpy(t, fixtures.File($"namespace.g_ema.{name}.npy"), name);
    }

    [PythonFact]
    public void TracedModuleMatchesPythonStateDict()
    {
        var names = JsonSerializer.Deserialize<string[]>(File.ReadAllText(fixtures.File("traced.names.json")))!;

        using var traced = TorchScriptArchive.LoadStateDict(fixtures.File("traced.pt"));
        using var scripted = TorchScriptArchive.LoadStateDict(fixtures.File("scripted.pt"));

        Assert.Equal(names, traced.Keys);
        foreach (string name in names)
        {
            AssertMatchesNpy(traced[name], fixtures.File($"traced.{name}.npy"), name);
            TensorAssert.BitEqual(traced[name], scripted[name], name);
        }
        Assert.Equal(ScalarType.Bool, traced["mask"].dtype);
        Assert.Equal(3L, traced["blocks.1.steps"].item<long>());
    }

    [Fact]
    public void DisposingCheckpointReleasesItsTensors()
    {
        var checkpoint = TorchCheckpoint.Load(Golden.File("clip", "tiny_state_dict.pt"));
        var tensors = checkpoint.Tensors.ToList();

        checkpoint.Dispose();

        Assert.Equal(62, tensors.Count);
        Assert.All(tensors, t => Assert.True(t.IsInvalid));
    }

    /// <summary>The fixture stores bfloat16 widened to float32 and bool as uint8.</summary>
    private static void AssertMatchesNpy(Tensor actual, string npy, string name)
    {
        using var expected = Npy.Load(npy);
        if (actual.dtype == expected.dtype)
        {
            TensorAssert.BitEqual(expected, actual, name);
            return;
        }
        Assert.True(actual.dtype is ScalarType.BFloat16 or ScalarType.Bool, $"{name}: dtype {actual.dtype} vs {expected.dtype}");
        using var converted = actual.to(expected.dtype);
        TensorAssert.BitEqual(expected, converted, name);
    }
}
