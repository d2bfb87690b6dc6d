using StyleBridge.Engine.ModelSets;
using StyleBridge.Models.Csla;

namespace StyleBridge.Cli.Tests.Train;

/// <summary><c>stylebridge train csla-text-centre</c> on a CSLA file over the golden tiny models.</summary>
public sealed class CslaTextCentreCommandTests
{
    [Fact]
    public void Calibrates_the_sets_csla_file_in_place_and_keeps_its_training_record()
    {
        using var set = SetWithUntrainedCsla();
        string prompts = set.File("prompts.txt");
        File.WriteAllLines(prompts, ["a red circle", "  ", "a blue square on the left"]);

        var result = Cli.Succeed("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--strength", "1.5");
        Assert.Contains("2 prompts of prompts.txt", result.Output);

        var entry = ModelManifest.Load(set.Root).Find(ModelSet.CslaFile)!;
        Assert.StartsWith("stylebridge train csla --steps 1 (revision abc) && stylebridge ", entry.Command);
        Assert.Equal(4, entry.Seed);
        Assert.Equal(0.5, entry.Metrics["val_loss_w"]);
        Assert.Equal(2, entry.Metrics["text_centre_prompts"]);
        Assert.Equal(1.5, entry.Metrics["text_strength"]);

        // the rewritten file passes the manifest check and carries the mean of the two prompts' prepared embeddings
        var opened = ModelSet.Open(set.Root);
        opened.VerifyAll();
        using var generator = opened.LoadGenerator();
        using var loaded = CslaModel.FromFile(opened.PathOf(ModelSet.CslaFile), generator);
        Assert.Equal(1.5, loaded.Config.TextStrength);
        Assert.Equal(1.0, loaded.Config.EditStrength);
        Assert.Equal(1.0, entry.Metrics["edit_strength"]);
        Assert.Equal("2 prompts of prompts.txt", loaded.Config.TextCentreSource);
        using var tinyClip = TestModelSet.GoldenClip();
        using var expected = StyleBridge.Engine.Training.CslaTextCentres.Compute(tinyClip, opened.LoadTokenizer(), loaded, ["a red circle", "a blue square on the left"]);
        Assert.True(loaded.TextCentre!.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.Null(loaded.TextMap);
        Assert.Null(loaded.Config.TextMapSource);
        Assert.Equal(0, entry.Metrics["text_map_samples"]);
    }

    [Fact]
    public void A_text_map_is_fitted_on_request_and_a_one_sample_map_is_refused()
    {
        using var set = SetWithUntrainedCsla();
        string prompts = set.File("prompts.txt");
        File.WriteAllLines(prompts, ["a red circle", "a blue square on the left", "a small green triangle", "a shape at the top"]);

        var refused = Cli.Run("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--text-map-samples", "1");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--text-map-samples", refused.Error);

        var result = Cli.Succeed("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--text-map-samples", "6",
            "--text-map-shrinkage", "0.3", "--seed", "2");
        Assert.Contains("text map from 4 prompts of prompts.txt onto 6 generator samples (seed 2), caption covariance shrunk by 0.3", result.Output);
        var opened = ModelSet.Open(set.Root);
        opened.VerifyAll();
        Assert.Equal(6, ModelManifest.Load(set.Root).Find(ModelSet.CslaFile)!.Metrics["text_map_samples"]);
        using var generator = opened.LoadGenerator();
        using var loaded = CslaModel.FromFile(opened.PathOf(ModelSet.CslaFile), generator);
        Assert.StartsWith("4 prompts of prompts.txt onto 6 generator samples", loaded.Config.TextMapSource);
        var map = loaded.TextMap!;
        Assert.Equal([loaded.Config.EmbedDim, loaded.Config.EmbedDim], map.shape);
        Assert.True(map.allclose(map.T, rtol: 1e-5, atol: 1e-6));
        using var identity = eye(loaded.Config.EmbedDim);
        Assert.False(map.allclose(identity, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void The_edit_strength_is_set_on_request_and_kept_by_a_later_calibration()
    {
        using var set = SetWithUntrainedCsla();
        string prompts = set.File("prompts.txt");
        File.WriteAllLines(prompts, ["a red circle", "a blue square on the left"]);

        var refused = Cli.Run("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--edit-strength", "0");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--edit-strength", refused.Error);

        Assert.Contains("edit strength 0.6", Cli.Succeed("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--edit-strength", "0.6").Output);
        Cli.Succeed("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--strength", "1.25");
        var opened = ModelSet.Open(set.Root);
        opened.VerifyAll();
        Assert.Equal(0.6, ModelManifest.Load(set.Root).Find(ModelSet.CslaFile)!.Metrics["edit_strength"]);
        using var generator = opened.LoadGenerator();
        using var loaded = CslaModel.FromFile(opened.PathOf(ModelSet.CslaFile), generator);
        Assert.Equal(0.6, loaded.Config.EditStrength);
        Assert.Equal(1.25, loaded.Config.TextStrength);

        // a file from before the edit strength existed reads as csla.md's unit strength; one out of range is refused
        var old = loaded.Config with { EditStrength = 1.0 };
        string json = old.ToJson().Replace(",\"EditStrength\":1", "", StringComparison.Ordinal);
        Assert.DoesNotContain("EditStrength", json);
        Assert.Equal(1.0, CslaConfig.FromJson(json).EditStrength);
        string wrong = set.File("wrong.safetensors");
        using (var bad = new CslaModel(loaded.Config with { EditStrength = 80, TextCentreSource = null, TextMapSource = null }, generator))
            bad.Save(wrong);
        Assert.Throws<StyleBridge.Torch.Serialization.WeightFormatException>(() => CslaModel.FromFile(wrong, generator));
    }

    [Fact]
    public void An_image_bank_is_drawn_on_request_and_a_top_k_beyond_it_is_refused()
    {
        using var set = SetWithUntrainedCsla();
        string prompts = set.File("prompts.txt");
        File.WriteAllLines(prompts, ["a red circle", "a blue square on the left"]);

        var refused = Cli.Run("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--text-bank-samples", "3", "--text-bank-top-k", "4");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--text-bank-top-k", refused.Error);

        var result = Cli.Succeed("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts, "--text-bank-samples", "5", "--text-bank-top-k", "2", "--seed", "3");
        Assert.Contains("image bank of 5 generator samples (seed 3), prototypes of the 2 nearest", result.Output);
        var opened = ModelSet.Open(set.Root);
        opened.VerifyAll();
        var metrics = ModelManifest.Load(set.Root).Find(ModelSet.CslaFile)!.Metrics;
        Assert.Equal(5, metrics["text_bank_samples"]);
        Assert.Equal(2, metrics["text_bank_top_k"]);
        using var generator = opened.LoadGenerator();
        using var loaded = CslaModel.FromFile(opened.PathOf(ModelSet.CslaFile), generator);
        Assert.Equal([5L, loaded.Config.EmbedDim], loaded.TextBank!.shape);
        using var clip = TestModelSet.GoldenClip();
        using var expected = StyleBridge.Engine.Training.CslaTextCentres.ImageBank(clip, generator, 5, 3);
        Assert.True(loaded.TextBank.allclose(expected, rtol: 1e-5, atol: 1e-6));

        // a calibration without the option drops the bank, as it does the map
        Cli.Succeed("train", "csla-text-centre", "--models", set.Root, "--prompts", prompts);
        using var again = CslaModel.FromFile(ModelSet.Open(set.Root).PathOf(ModelSet.CslaFile), generator);
        Assert.Null(again.TextBank);
    }

    /// <summary>A test set with an untrained two-layer CSLA file recorded as trained by "train csla --steps 1" (seed 4, revision abc).</summary>
    private static TestModelSet SetWithUntrainedCsla()
    {
        var set = new TestModelSet();
        try
        {
            using (var g = ModelSet.Open(set.Root).LoadGenerator())
            using (var clip = TestModelSet.GoldenClip())
            using (var csla = new CslaModel(new CslaConfig(clip.Config.EmbedDim, g.Config.StyleDim, MapperDepth: 2), g))
                csla.Save(set.PathOf(ModelSet.CslaFile));
            ModelManifest.Upsert(set.Root, ModelSet.CslaFile, "stylebridge train csla --steps 1", 4, "abc", new Dictionary<string, double> { ["val_loss_w"] = 0.5 });
            return set;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    [Fact]
    public void A_set_without_csla_mappers_is_a_clear_error()
    {
        using var set = new TestModelSet();
        var result = Cli.Run("train", "csla-text-centre", "--models", set.Root);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("csla.safetensors", result.Error);
    }
}
