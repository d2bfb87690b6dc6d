using StyleBridge.Engine.ModelSets;
using StyleBridge.Models.Clip;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Engine.Tests.ModelSets;

public sealed class ModelSetTests
{
    /// <summary>A set with two recorded files, <c>clip.safetensors</c> (fake bytes) and <c>notes.txt</c>.</summary>
    private static ModelSetTestDirectory RecordedSet()
    {
        var dir = new ModelSetTestDirectory();
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        dir.Write(ModelSet.ClipFile, bytes);
        dir.Write("notes.txt", "hello"u8.ToArray());
        ModelManifest.Upsert(dir.Root, ModelSet.ClipFile, "test", 1, "rev", new Dictionary<string, double> { ["m"] = 1 });
        ModelManifest.Upsert(dir.Root, "notes.txt", "test", null, "rev");
        return dir;
    }

    [Fact]
    public void A_recorded_file_is_returned_by_its_full_path()
    {
        using var dir = RecordedSet();
        var set = ModelSet.Open(dir.Root);
        Assert.Equal(Path.GetFullPath(dir.Root), set.Directory);
        Assert.Equal(dir.File(ModelSet.ClipFile), set.PathOf(ModelSet.ClipFile));
        Assert.Equal(dir.File(ModelSet.ClipFile), set.PathOf(ModelSet.ClipFile)); // cached
        set.VerifyAll();
    }

    [Fact]
    public void A_tampered_file_is_refused_naming_the_file_and_both_hashes()
    {
        using var dir = RecordedSet();
        var recorded = ModelManifest.Load(dir.Root).Files[ModelSet.ClipFile].Sha256;
        FileEdits.FlipOneByte(dir.File(ModelSet.ClipFile), 100);
        var set = ModelSet.Open(dir.Root);
        var e = Assert.Throws<ModelSetException>(() => set.PathOf(ModelSet.ClipFile));
        Assert.Contains(ModelSet.ClipFile + ": SHA-256 ", e.Message);
        Assert.Contains("does not match the manifest", e.Message);
        Assert.Contains(recorded[..12], e.Message);
        Assert.Contains(ModelManifest.Hash(dir.File(ModelSet.ClipFile)).Sha256[..12], e.Message);
        Assert.Contains("retrain or restore it", e.Message);
        Assert.Throws<ModelSetException>(set.VerifyAll);
        Assert.Throws<ModelSetException>(() => set.LoadClip());
    }

    [Fact]
    public void A_file_changed_after_it_was_verified_is_refused_on_the_next_request()
    {
        using var dir = RecordedSet();
        var set = ModelSet.Open(dir.Root);
        set.PathOf(ModelSet.ClipFile);
        FileEdits.FlipOneByte(dir.File(ModelSet.ClipFile), 0);
        Assert.Throws<ModelSetException>(() => set.PathOf(ModelSet.ClipFile));
        Assert.Throws<ModelSetException>(() => ModelSet.Open(dir.Root).PathOf(ModelSet.ClipFile));
    }

    [Fact]
    public void A_linked_file_is_verified_by_its_target_and_a_changed_target_is_refused()
    {
        using var dir = RecordedSet();
        using var cache = new ModelSetTestDirectory();
        string target = cache.File("blob");
        File.Move(dir.File(ModelSet.ClipFile), target);
        File.CreateSymbolicLink(dir.File(ModelSet.ClipFile), target);
        var set = ModelSet.Open(dir.Root);
        Assert.Equal(dir.File(ModelSet.ClipFile), set.PathOf(ModelSet.ClipFile));

        FileEdits.FlipOneByte(target, 7); // the link itself keeps its length and time
        Assert.Throws<ModelSetException>(() => set.PathOf(ModelSet.ClipFile));
    }

    [Fact]
    public void A_file_missing_from_the_manifest_is_refused()
    {
        using var dir = RecordedSet();
        dir.Write(ModelSet.GeneratorFile, [1, 2, 3]);
        var set = ModelSet.Open(dir.Root);
        var e = Assert.Throws<ModelSetException>(() => set.PathOf(ModelSet.GeneratorFile));
        Assert.Contains(ModelSet.GeneratorFile, e.Message);
        Assert.Contains("not recorded in", e.Message);
        Assert.Contains(ModelManifest.FileName, e.Message);
    }

    [Fact]
    public void A_recorded_file_that_is_gone_is_refused()
    {
        using var dir = RecordedSet();
        File.Delete(dir.File("notes.txt"));
        var set = ModelSet.Open(dir.Root);
        var e = Assert.Throws<ModelSetException>(() => set.PathOf("notes.txt"));
        Assert.Contains("notes.txt: no such file", e.Message);

        e = Assert.Throws<ModelSetException>(() => set.PathOf("nothing.bin"));
        Assert.Contains("nothing.bin", e.Message);
        Assert.Contains(ModelSet.ClipFile, e.Message); // lists what the set has
    }

    [Fact]
    public void A_directory_without_manifest_or_a_missing_directory_is_refused()
    {
        using var dir = new ModelSetTestDirectory();
        var e = Assert.Throws<ModelSetException>(() => ModelSet.Open(dir.Root));
        Assert.Contains(ModelManifest.FileName, e.Message);
        e = Assert.Throws<ModelSetException>(() => ModelSet.Open(dir.File("absent")));
        Assert.Contains("absent", e.Message);
        Assert.Contains("--models", e.Message);
    }

    [Fact]
    public void The_directory_comes_from_the_argument_then_the_environment_then_the_bundle_then_the_checkout()
    {
        using var dir = new ModelSetTestDirectory();
        string baseDir = dir.File("app");
        string cwd = dir.File("work");
        Directory.CreateDirectory(baseDir);
        Directory.CreateDirectory(cwd);

        Assert.Equal(Path.Combine(cwd, "weights", "shapes"), ModelSet.ResolveDirectory(null, null, baseDir, cwd).Directory);
        Assert.Equal(Path.Combine(cwd, "weights", "shapes"), ModelSet.ResolveDirectory("  ", "", baseDir, cwd).Directory);

        string bundled = Path.Combine(baseDir, "models", "shapes");
        Directory.CreateDirectory(bundled);
        Assert.Equal(bundled, ModelSet.ResolveDirectory(null, null, baseDir, cwd).Directory);
        Assert.Equal(Path.Combine(cwd, "env-set"), ModelSet.ResolveDirectory(null, "env-set", baseDir, cwd).Directory);
        Assert.Equal(Path.Combine(cwd, "mine"), ModelSet.ResolveDirectory("mine", "env-set", baseDir, cwd).Directory);
        Assert.Equal(dir.File("abs"), ModelSet.ResolveDirectory(dir.File("abs"), "env-set", baseDir, cwd).Directory);
    }

    [Fact]
    public void The_loaders_verify_and_load_the_set_files()
    {
        using var dir = new ModelSetTestDirectory();
        string goldenClip = GoldenData.Path("clip", "tiny_state.safetensors");
        string goldenConfig = GoldenData.Path("clip", "tiny_config.json");
        using (var golden = ClipLoader.Load(goldenClip, c => c.WithJsonFile(goldenConfig)))
        {
            Assert.Equal(2, golden.Config.TransformerHeads);
            SafeTensors.Save(dir.File(ModelSet.ClipFile), StateDicts.Of(golden),
                new Dictionary<string, string> { [ModelSet.ClipConfigMetadataKey] = golden.Config.ToJson() });
        }

        File.Copy(goldenClip, dir.File("plain_clip.safetensors"));
        File.Copy(GoldenData.Path("stylegan2", "rosinality", "tiny_state.safetensors"), dir.File(ModelSet.GeneratorFile));
        File.Copy(GoldenData.Path("clip", ModelSet.VocabFile), dir.File(ModelSet.VocabFile));
        foreach (string name in new[] { ModelSet.ClipFile, "plain_clip.safetensors", ModelSet.GeneratorFile, ModelSet.VocabFile })
            ModelManifest.Upsert(dir.Root, name, "copied from the goldens", null, "test");

        var set = ModelSet.Open(dir.Root);
        using (var clip = set.LoadClip())
            Assert.Equal(2, clip.Config.TransformerHeads); // from the file's clip_config metadata, not the shapes
        using (var plain = ModelSet.LoadClipFile(set.PathOf("plain_clip.safetensors")))
            Assert.Equal(1, plain.Config.TransformerHeads); // shapes alone imply width / 64
        using (var overridden = set.LoadClip(c => c with { TransformerHeads = 4 }))
            Assert.Equal(4, overridden.Config.TransformerHeads);
        using (var g = set.LoadGenerator())
            Assert.Equal(32, g.Config.Size);
        var tokenizer = set.LoadTokenizer();
        Assert.Equal(ClipTokenizer.StartOfText, tokenizer.Tokenize("a red circle")[0]);
        Assert.Null(set.GeneratorColourLayer()); // a released layout records none
    }

    [Theory]
    [InlineData("3", 3)]
    [InlineData("99", null)]
    public void The_pipelines_take_the_colour_layer_the_generator_file_records(string recorded, int? expected)
    {
        using var dir = new ModelSetTestDirectory();
        File.Copy(GoldenData.Path("clip", "tiny_state.safetensors"), dir.File(ModelSet.ClipFile));
        File.Copy(GoldenData.Path("clip", ModelSet.VocabFile), dir.File(ModelSet.VocabFile));
        using (var golden = SafeTensors.Load(GoldenData.Path("stylegan2", "rosinality", "tiny_state.safetensors")))
            SafeTensors.Save(dir.File(ModelSet.GeneratorFile), golden.Select(e => new KeyValuePair<string, TorchSharp.torch.Tensor>(e.Key, e.Value)).ToList(),
                new Dictionary<string, string> { [ModelSet.ColourLayerMetadataKey] = recorded });
        foreach (string name in new[] { ModelSet.ClipFile, ModelSet.GeneratorFile, ModelSet.VocabFile })
            ModelManifest.Upsert(dir.Root, name, "test", null, "test");
        var set = ModelSet.Open(dir.Root);

        if (expected is null)
        {
            var e = Assert.Throws<ModelSetException>(() => StyleBridge.Engine.Editing.EditPipeline.Open(set));
            Assert.Contains("colour layer 99", e.Message);
            return;
        }
        using (var pipeline = StyleBridge.Engine.Editing.EditPipeline.Open(set))
            Assert.Equal(expected, pipeline.ColourLayer);
        using var host = new StyleBridge.Engine.Serving.ModelHost(set);
        Assert.Equal(expected, host.Editing.ColourLayer);
    }

    [Fact]
    public void A_generator_colour_layer_comes_from_its_key_or_from_a_colour_mixing_runs_options()
    {
        Assert.Equal(6, ModelSet.ColourLayerOf(new Dictionary<string, string> { [ModelSet.ColourLayerMetadataKey] = "6" }, "g"));
        Assert.Equal(5, ModelSet.ColourLayerOf(new Dictionary<string, string>
        {
            ["producer"] = "SceneDistillationTrainer", ["options"] = """{"ColourMixing":0.5,"ColourLayer":5}""",
        }, "g"));
        Assert.Null(ModelSet.ColourLayerOf(new Dictionary<string, string>
        {
            ["producer"] = "SceneDistillationTrainer", ["options"] = """{"ColourMixing":0,"ColourLayer":5}""",
        }, "g"));
        Assert.Null(ModelSet.ColourLayerOf(new Dictionary<string, string> { ["producer"] = "StyleGan2Trainer" }, "g"));
        Assert.Throws<ModelSetException>(() => ModelSet.ColourLayerOf(new Dictionary<string, string> { [ModelSet.ColourLayerMetadataKey] = "five" }, "g"));
        Assert.Throws<ModelSetException>(() => ModelSet.ColourLayerOf(new Dictionary<string, string>
        {
            ["producer"] = "SceneDistillationTrainer", ["options"] = """{"ColourMixing":"half","ColourLayer":5}""",
        }, "g"));
    }
}
