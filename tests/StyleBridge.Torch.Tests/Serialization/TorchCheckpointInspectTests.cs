using System.IO.Compression;
using System.Numerics;
using System.Text.Json;
using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>torch.save / TorchScript archives parsed without reading tensor data.</summary>
[Collection(PythonFixturesCollection.Name)]
public sealed class TorchCheckpointInspectTests(PythonFixtures fixtures) : IDisposable
{
    private static readonly string[] ClipExtras = ["input_resolution", "context_length", "vocab_size"];
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ClipStateDictMatchesSafetensorsHeader()
    {
        var entries = TorchCheckpoint.InspectStateDict(Golden.File("clip", "tiny_state_dict.pt"));
        var header = SafeTensorsHeader.Read(Golden.File("clip", "tiny_state.safetensors"));

        Assert.Equal(header.Entries.Select(e => e.Name), entries.Select(e => e.Key));
        foreach (var (e, (name, t)) in header.Entries.Zip(entries))
        {
            Assert.Equal(e.Shape.ToArray(), t.Size.ToArray());
            Assert.Equal(ScalarType.Float32, t.Dtype);
            Assert.Equal(0, t.StorageOffset);
            Assert.Equal(ContiguousStrides(t.Size), t.Stride.ToArray());
            Assert.Equal(t.Numel, t.Storage.Numel);
            Assert.False(t.RequiresGrad, name);
        }
        Assert.Equal(entries.Count, entries.Select(e => e.Value.Storage).Distinct().Count());
    }

    [Fact]
    public void ClipStateDictKeepsOrderedDictMetadata()
    {
        var root = Assert.IsType<PickleDict>(TorchCheckpoint.Inspect(Golden.File("clip", "tiny_state_dict.pt")));

        Assert.Equal("collections.OrderedDict", root.ClassName);
        var metadata = Assert.IsType<PickleDict>(root.Attributes["_metadata"]);
        Assert.Equal(1L, Assert.IsType<PickleDict>(metadata["visual.conv1"])["version"]);
    }

    [Fact]
    public void ClipTorchScriptYieldsStateDictNamesPlusThreeIntBuffers()
    {
        string path = Golden.File("clip", "tiny_jit.pt");
        Assert.Equal(WeightFileFormat.TorchScript, WeightFiles.Detect(path));
        var entries = TorchScriptArchive.InspectStateDict(path);
        var header = SafeTensorsHeader.Read(Golden.File("clip", "tiny_state.safetensors"));

        Assert.Equal(65, entries.Count);
        Assert.Equal(header.Entries.Select(e => e.Name), entries.Select(e => e.Key).Where(n => !ClipExtras.Contains(n)));
        // traced module: the extra buffers follow the root's own parameters, as state_dict() lists them
        Assert.Equal(["positional_embedding", "text_projection", "logit_scale", .. ClipExtras], entries.Take(6).Select(e => e.Key).ToArray());
        foreach (string extra in ClipExtras)
        {
            var t = entries.Single(e => e.Key == extra).Value;
            Assert.Equal(ScalarType.Int64, t.Dtype);
            Assert.Empty(t.Size);
        }
        var byName = entries.ToDictionary(e => e.Key, e => e.Value);
        foreach (var e in header.Entries)
        {
            Assert.Equal(e.Shape.ToArray(), byName[e.Name].Size.ToArray());
            Assert.Equal(ScalarType.Float32, byName[e.Name].Dtype);
        }
        Assert.True(byName["visual.conv1.weight"].RequiresGrad);
    }

    [Fact]
    public void TorchScriptSubmoduleAndModuleObjects()
    {
        string path = Golden.File("clip", "tiny_jit.pt");

        var visual = TorchScriptArchive.InspectStateDict(path, "visual.transformer");
        var root = Assert.IsType<PickleObject>(TorchCheckpoint.Inspect(path));

        Assert.Equal(24, visual.Count);
        Assert.Equal("resblocks.0.attn.in_proj_weight", visual[0].Key);
        Assert.StartsWith("__torch__.", root.ClassName);
        Assert.Equal(false, root.Attributes!["training"]);
        var e = Assert.Throws<WeightFormatException>(() => TorchScriptArchive.InspectStateDict(path, "visual.nope"));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains("transformer", e.Message);
    }

    [Fact]
    public void RosinalityCheckpointNeedsItsKey()
    {
        string path = Golden.File("stylegan2", "rosinality", "tiny_ckpt.pt");
        var header = SafeTensorsHeader.Read(Golden.File("stylegan2", "rosinality", "tiny_state.safetensors"));

        var gEma = TorchCheckpoint.InspectStateDict(path, "g_ema");
        var root = Assert.IsType<PickleDict>(TorchCheckpoint.Inspect(path));
        var noKey = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.InspectStateDict(path));
        var wrongKey = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.InspectStateDict(path, "g"));
        var notDict = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.InspectStateDict(path, "latent_avg"));

        Assert.Equal(header.Entries.Select(e => e.Name).Order(StringComparer.Ordinal), gEma.Select(e => e.Key).Order(StringComparer.Ordinal));
        var shapes = gEma.ToDictionary(e => e.Key, e => e.Value.Size);
        Assert.All(header.Entries, e => Assert.Equal(e.Shape.ToArray(), shapes[e.Name].ToArray()));
        var latentAvg = Assert.IsType<PickledTensor>(root["latent_avg"]);
        Assert.Equal([64L], latentAvg.Size.ToArray());
        Assert.Contains(path, noKey.Message);
        Assert.Contains("'g_ema'", noKey.Message);
        Assert.Contains("'latent_avg'", wrongKey.Message);
        Assert.Contains("not a state dict", notDict.Message);
    }

    [Fact]
    public void PriorCheckpointSharesStoragesAndIgnoresCudaLocation()
    {
        string path = Golden.File("prior", "tiny_ckpt.pt");
        var header = SafeTensorsHeader.Read(Golden.File("prior", "tiny_state.safetensors"));

        var entries = TorchCheckpoint.InspectStateDict(path, "state_dict");

        Assert.Equal(141, entries.Count);
        var ema = entries.Where(e => e.Key.StartsWith("ema_diffusion_prior.ema_model.", StringComparison.Ordinal)).ToList();
        Assert.Equal(header.Entries.Select(e => e.Name).Order(StringComparer.Ordinal), ema.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.Equal("cuda:0", e.Value.Storage.Location));
        var byName = entries.ToDictionary(e => e.Key, e => e.Value);
        foreach (var (name, t) in entries.Where(e => e.Key.StartsWith("diffusion_prior.", StringComparison.Ordinal)))
            Assert.Same(t.Storage, byName["ema_diffusion_prior.online_model." + name["diffusion_prior.".Length..]].Storage);
    }

    [Theory]
    [InlineData("clip", "tiny_state.safetensors", WeightFileFormat.SafeTensors)]
    [InlineData("clip", "tiny_state_dict.pt", WeightFileFormat.TorchZip)]
    [InlineData("clip", "tiny_jit.pt", WeightFileFormat.TorchScript)]
    [InlineData("stylegan2/nvidia", "tiny_G_ema.pkl", WeightFileFormat.Pickle)]
    [InlineData("clip", "tokenizer_cases.json", WeightFileFormat.Unknown)]
    public void DetectsGoldenFormats(string folder, string file, WeightFileFormat expected) =>
        Assert.Equal(expected, WeightFiles.Detect(Golden.File(folder, file)));

    [Fact]
    public void NvlabsPickleIsRefusedWithAdvice()
    {
        string path = Golden.File("stylegan2", "nvidia", "tiny_G_ema.pkl");

        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.Inspect(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("convert", e.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    [InlineData(0.01)]
    public void TruncatedArchiveIsReportedNotCrashed(double fraction)
    {
        string full = Golden.File("stylegan2", "rosinality", "tiny_ckpt.pt");
        string path = _temp.Truncated(full, (long)(new FileInfo(full).Length * fraction), "cut.pt");

        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.InspectStateDict(path, "g_ema"));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void CorruptPickleInsideArchiveNamesTheMember()
    {
        string path = _temp.File("corrupt.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("x/data.pkl").Open())
            s.Write([0x80, 2, (byte)'}', (byte)'X', 200, 0, 0, 0, (byte)'a']);

        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.Inspect(path));

        Assert.Contains(path + ":x/data.pkl", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void MissingStorageMemberIsReportedAtLoad()
    {
        string path = _temp.File("nodata.pt");
        using (var source = ZipFile.OpenRead(Golden.File("stylegan2", "rosinality", "tiny_ckpt.pt")))
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            var pkl = source.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
            using var from = pkl.Open();
            using var to = zip.CreateEntry(pkl.FullName).Open();
            from.CopyTo(to);
        }

        Assert.Equal(73, TorchCheckpoint.InspectStateDict(path, "g_ema").Count);
        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.LoadStateDict(path, "g_ema"));
        Assert.Contains("data/", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, "01 02 03 04")]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0 }, "only 6 bytes")]
    public void NonArchivesAreRefused(byte[] content, string problem)
    {
        string path = _temp.File("x.pt");
        File.WriteAllBytes(path, content);

        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.Inspect(path));

        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void ZipWithoutDataPklIsRefused()
    {
        string path = _temp.File("plain.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            zip.CreateEntry("readme.txt");

        Assert.Equal(WeightFileFormat.Zip, WeightFiles.Detect(path));
        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.Inspect(path));
        Assert.Contains("data.pkl", e.Message);
    }

    [Fact]
    public void SafetensorsGivenToCheckpointReaderSaysSo()
    {
        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.Inspect(Golden.File("clip", "tiny_state.safetensors")));
        Assert.Contains("SafeTensors.Load", e.Message);
    }

    [PythonFact]
    public void LegacyAndPlainPicklesAreRefused()
    {
        var legacy = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.Inspect(fixtures.File("legacy.pt")));
        var plain = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.LoadStateDict(fixtures.File("plain.pkl")));

        Assert.Equal(WeightFileFormat.TorchLegacy, WeightFiles.Detect(fixtures.File("legacy.pt")));
        Assert.Contains("legacy torch.save format", legacy.Message);
        Assert.Contains(fixtures.File("legacy.pt"), legacy.Message);
        Assert.Equal(WeightFileFormat.Pickle, WeightFiles.Detect(fixtures.File("plain.pkl")));
        Assert.Contains("plain Python pickle", plain.Message);
    }

    [PythonFact]
    public void BigEndianArchiveIsRefused()
    {
        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.Inspect(fixtures.File("bigendian.pt")));

        Assert.Contains("big-endian", e.Message);
        Assert.IsType<PickleDict>(TorchCheckpoint.Inspect(fixtures.File("littleendian.pt")));
    }

    [PythonFact]
    public void PickledCodeIsNeverRun()
    {
        var root = Assert.IsType<PickleDict>(TorchCheckpoint.Inspect(fixtures.File("evil.pt")));

        var evil = Assert.IsType<PickleObject>(root["evil"]);
        Assert.EndsWith(".system", evil.ClassName);
        Assert.StartsWith("touch ", Assert.IsType<string>(evil.Args[0]));
        Assert.False(File.Exists(fixtures.File("pwned")));
        Assert.IsType<PickledTensor>(root["weight"]);
        var e = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.InspectStateDict(fixtures.File("evil.pt")));
        Assert.Contains("'evil'", e.Message);
    }

    [PythonFact]
    public void TrainingCheckpointWithNamespaceAndOptimizer()
    {
        string path = fixtures.File("namespace.pt");

        var root = Assert.IsType<PickleDict>(TorchCheckpoint.Inspect(path));
        var gEma = TorchCheckpoint.InspectStateDict(path, "g_ema");

        Assert.Equal(["kernel", "fc.weight", "fc.bias"], gEma.Select(e => e.Key).ToArray());
        var args = Assert.IsType<PickleObject>(root["args"]);
        Assert.Equal("argparse.Namespace", args.ClassName);
        Assert.Equal(32L, args.Attributes!["size"]);
        Assert.Equal(0.002, args.Attributes["lr"]);
        Assert.Equal(new object[] { "a", "b" }, Assert.IsType<List<object?>>(args.Attributes["names"]));
        Assert.Equal(1L, Assert.IsType<PickleDict>(args.Attributes["nested"])["k"]);
        Assert.Equal(true, args.Attributes["flag"]);
        var optim = Assert.IsType<PickleDict>(root["optim"]);
        var state = Assert.IsType<PickleDict>(optim["state"]);
        Assert.Equal(["0", "1"], state.Keys.ToArray());
        Assert.IsType<PickledTensor>(Assert.IsType<PickleDict>(state["0"])["exp_avg"]);
        Assert.Equal(0.002, Assert.IsType<PickleDict>(Assert.IsType<List<object?>>(optim["param_groups"])[0])["lr"]);
        Assert.Equal(5L, root["step"]);
        Assert.Equal(3.25, root["pi"]);
        Assert.Equal(BigInteger.Pow(2, 70), root["big"]);
        Assert.Equal(-5L, root["neg"]);
        Assert.Equal("tiny", root["name"]);
        Assert.Equal("abc"u8.ToArray(), root["blob"]);
        Assert.Null(root["none"]);
        Assert.Equal(new object[] { 1L, "a" }, root["pair"]);
        var device = Assert.IsType<PickleObject>(root["device"]);
        Assert.Equal("torch.device", device.ClassName);
        Assert.Equal(new object[] { "cuda", 0L }, device.Args);
        Assert.Equal(ScalarType.Float16, root["dtype"]);
    }

    [PythonFact]
    public void WholePickledModuleIsReadWithoutItsClass()
    {
        var root = Assert.IsType<PickleObject>(TorchCheckpoint.Inspect(fixtures.File("whole_module.pt")));
        var names = TorchCheckpoint.InspectStateDict(fixtures.File("whole_module.pt")).Select(e => e.Key).ToArray();
        var inDict = TorchCheckpoint.InspectStateDict(fixtures.File("whole_module_in_dict.pt"), "model").Select(e => e.Key).ToArray();
        var noKey = Assert.Throws<WeightFormatException>(() => TorchCheckpoint.InspectStateDict(fixtures.File("whole_module_in_dict.pt")));

        Assert.EndsWith(".Tiny", root.ClassName);
        Assert.Equal(["kernel", "fc.weight", "fc.bias"], names);
        Assert.Equal(names, inDict);
        Assert.Contains("'model'", noKey.Message);
    }

    [PythonFact]
    public void ViewsKeepOffsetsAndStrides()
    {
        var entries = TorchCheckpoint.InspectStateDict(fixtures.File("views.pt")).ToDictionary(e => e.Key, e => e.Value);
        var names = JsonSerializer.Deserialize<string[]>(File.ReadAllText(fixtures.File("views.names.json")))!;

        Assert.Equal(names.Order(), entries.Keys.Order());
        Assert.Equal(6, entries["view"].StorageOffset);
        Assert.Equal([6L, 2], entries["view"].Stride.ToArray());
        Assert.Equal([3L, 3], entries["view"].Size.ToArray());
        Assert.Same(entries["base"].Storage, entries["view"].Storage);
        Assert.Same(entries["base"].Storage, entries["row3"].Storage);
        Assert.Equal([1L, 5], entries["transposed"].Stride.ToArray());
        Assert.Equal(ScalarType.Float16, entries["half_view"].Dtype);
        Assert.Same(entries["half"].Storage, entries["half_view"].Storage);
        Assert.Equal(ScalarType.BFloat16, entries["bf16"].Dtype);
        Assert.Equal(ScalarType.Bool, entries["bool"].Dtype);
        Assert.Equal([0L, 1], entries["expanded"].Stride.ToArray());
    }

    [PythonFact]
    public void PickleProtocols4And5ParseTheSame()
    {
        static string[] Describe(string path) =>
            TorchCheckpoint.InspectStateDict(path).Select(e => $"{e.Key} {e.Value} {e.Value.StorageOffset} {string.Join(",", e.Value.Stride)}").ToArray();

        var expected = Describe(fixtures.File("views.pt"));
        Assert.Equal(expected, Describe(fixtures.File("views_proto4.pt")));
        Assert.Equal(expected, Describe(fixtures.File("views_proto5.pt")));
    }

    [PythonFact]
    public void TracedAndScriptedModulesListStateDictOrder()
    {
        foreach (string name in new[] { "traced", "scripted" })
        {
            var expected = JsonSerializer.Deserialize<string[]>(File.ReadAllText(fixtures.File($"{name}.names.json")))!;
            var actual = TorchScriptArchive.InspectStateDict(fixtures.File($"{name}.pt")).Select(e => e.Key).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    private static long[] ContiguousStrides(IReadOnlyList<long> size)
    {
        var strides = new long[size.Count];
        long s = 1;
        for (int i = size.Count - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= size[i];
        }
        return strides;
    }
}
