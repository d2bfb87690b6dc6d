using StyleBridge.Engine.Generation;
using static TorchSharp.torch;

namespace StyleBridge.Engine.Tests.Generation;

/// <summary>The text-to-image pipeline on tiny random models: seeds, batch independence, re-ranking order, validation.</summary>
public sealed class TextToImagePipelineTests : IDisposable
{
    private readonly TinyModels models = new();
    private readonly TextToImagePipeline pipeline;

    public TextToImagePipelineTests()
    {
        pipeline = new TextToImagePipeline(models.Clip, TinyModels.Tokenizer.Value, models.Generator, models.Prior, models.Csla) { MaxBatch = 7 };
    }

    public void Dispose()
    {
        pipeline.Dispose();
        models.Dispose();
    }

    private static GenerationRequest Request(string prompt, GenerationMethod method, int images, int candidates, long seed) => new()
    {
        Prompt = prompt, Method = method, NumImages = images, NumCandidates = candidates, Seed = seed, Steps = 4, GuidanceScale = 2,
    };

    /// <summary>A CSLA model written to a temporary file and read back.</summary>
    private StyleBridge.Models.Csla.CslaModel SavedAndLoaded(StyleBridge.Models.Csla.CslaModel model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"csla-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            return StyleBridge.Models.Csla.CslaModel.FromFile(path, models.Generator);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Text to image with <paramref name="csla"/> as the set's CSLA model.</summary>
    private GenerationResult GenerateWith(StyleBridge.Models.Csla.CslaModel csla, GenerationRequest request)
    {
        using var pipeline = new TextToImagePipeline(models.Clip, TinyModels.Tokenizer.Value, models.Generator, models.Prior, csla) { MaxBatch = 7 };
        return pipeline.Generate(request);
    }

    private static void AssertSame(GeneratedImage expected, GeneratedImage actual)
    {
        Assert.Equal(expected.Seed, actual.Seed);
        Assert.Equal(expected.Candidate, actual.Candidate);
        Assert.Equal(expected.ClipScore, actual.ClipScore, 5);
        using var diff = actual.Image.sub(expected.Image).abs().max();
        Assert.True(diff.item<float>() < 1e-4, $"image {expected.Index} differs by {diff.item<float>()}");
    }

    [Theory]
    [InlineData(GenerationMethod.Prior)]
    [InlineData(GenerationMethod.Csla)]
    public void An_image_is_the_same_whatever_else_shares_its_batch(GenerationMethod method)
    {
        var alone = Request("a blue square on the left", method, 3, 4, 42);
        using var single = pipeline.Generate(alone);

        // the same request beside two others (another prompt, another seed, another candidate count) in one call
        var results = pipeline.Generate([Request("a red circle", method, 2, 3, 5), alone, Request("a large green triangle", method, 1, 4, 9)]);
        try
        {
            var together = results[1];
            Assert.Equal(single.Images.Count, together.Images.Count);
            foreach (var image in single.Images)
                AssertSame(image, together.Images.Single(i => i.Index == image.Index));
        }
        finally
        {
            foreach (var r in results)
                r.Dispose();
        }
    }

    [Fact]
    public void Images_come_best_first_with_their_own_seeds()
    {
        using var result = pipeline.Generate(Request("a small yellow square", GenerationMethod.Prior, 4, 5, 1));
        Assert.Equal(4, result.Images.Count);
        Assert.Equal(result.Images.Select(i => i.ClipScore).OrderByDescending(s => s), result.Images.Select(i => i.ClipScore));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => ImageSeeds.For(1, i)).Order(), result.Images.Select(i => i.Seed).Order());
        Assert.Equal(4, result.Images.Select(i => i.Seed).Distinct().Count());
        Assert.All(result.Images, i => Assert.Equal(new long[] { 3, 16, 16 }, i.Image.shape));
    }

    [Fact]
    public void The_winner_is_the_candidate_with_the_highest_clip_score()
    {
        // one image with K candidates, then each candidate alone (K = 1 draws the same first candidate of the same seed)
        using var best = pipeline.Generate(Request("a magenta circle at the top", GenerationMethod.Prior, 1, 6, 77));
        using var first = pipeline.Generate(Request("a magenta circle at the top", GenerationMethod.Prior, 1, 1, 77));
        Assert.True(best.Images[0].ClipScore >= first.Images[0].ClipScore - 1e-6);
        Assert.InRange(best.Images[0].Candidate, 0, 5);
    }

    [Theory]
    [InlineData("", 1, 1, 4)]
    [InlineData("a shape", 0, 1, 4)]
    [InlineData("a shape", 17, 1, 4)]
    [InlineData("a shape", 1, 0, 4)]
    [InlineData("a shape", 1, 17, 4)]
    [InlineData("a shape", 1, 1, 3)]
    public void Bad_requests_are_refused_before_any_tensor_work(string prompt, int images, int candidates, int steps)
    {
        var request = Request(prompt, GenerationMethod.Prior, images, candidates, 0) with { Steps = steps };
        Assert.Throws<ArgumentException>(() => pipeline.Generate(request));
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_refused()
    {
        string prompt = string.Join(' ', Enumerable.Repeat("square", 100));
        Assert.ThrowsAny<Exception>(() => pipeline.Generate(Request(prompt, GenerationMethod.Prior, 1, 1, 0)));
    }

    [Fact]
    public void Csla_text_from_the_image_centre_is_the_text_less_the_base()
    {
        var csla = models.Csla;
        long d = csla.ImageCentre.shape[0];
        using var scope = NewDisposeScope();
        var text = randn(3, d);
        var baseEmbedding = randn(3, d);
        var neutral = randn(1, d);
        var fromImageCentre = csla.DeltaFForText(text, null, baseEmbedding);
        var expected = csla.PrepareEmbedding(text).sub(csla.PrepareEmbedding(baseEmbedding));
        Assert.True(fromImageCentre.allclose(expected, rtol: 1e-5, atol: 1e-6));
        var fromNeutral = csla.DeltaFForText(text, csla.PrepareEmbedding(neutral), baseEmbedding);
        Assert.False(fromNeutral.allclose(fromImageCentre, rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void The_csla_text_centre_changes_the_images_and_not_the_batch_independence()
    {
        var imageCentre = Request("a blue square on the left", GenerationMethod.Csla, 2, 3, 11) with { CslaTextCentre = CslaTextCentre.Image };
        using var alone = pipeline.Generate(imageCentre);
        using var neutral = pipeline.Generate(imageCentre with { CslaTextCentre = CslaTextCentre.Neutral });
        using (var diff = alone.Images[0].Image.sub(neutral.Images.Single(i => i.Index == alone.Images[0].Index).Image).abs().max())
            Assert.True(diff.item<float>() > 1e-3, "the text centre did not change the image");

        var results = pipeline.Generate([imageCentre with { CslaTextCentre = CslaTextCentre.Neutral, Seed = 3 }, imageCentre]);
        try
        {
            foreach (var image in alone.Images)
                AssertSame(image, results[1].Images.Single(i => i.Index == image.Index));
        }
        finally
        {
            foreach (var r in results)
                r.Dispose();
        }
    }

    [Fact]
    public void A_calibrated_text_centre_is_the_mean_prompt_embedding_and_sets_the_default_strength()
    {
        string[] prompts = ["a red circle", "a blue square on the left", "a small shape", "a triangle at the top"];
        using var centre = StyleBridge.Engine.Training.CslaTextCentres.Compute(models.Clip, TinyModels.Tokenizer.Value, models.Csla, prompts, batch: 3);
        using (var scope = NewDisposeScope())
        {
            var expected = models.Csla.PrepareEmbedding(models.Clip.EncodeText(StyleBridge.Models.Clip.ClipTokenIds.FromTexts(TinyModels.Tokenizer.Value, prompts))).mean([0L]);
            Assert.True(centre.norm().item<float>() > 1e-3, "the centre is zero");
            Assert.True(centre.allclose(expected, rtol: 1e-5, atol: 1e-6), "the centre is not the mean prepared embedding");
        }

        using var calibrated = models.Csla.WithTextCentre(centre, "four test prompts", 1.5);
        Assert.True(calibrated.TextCentre!.allclose(centre));
        Assert.Null(models.Csla.TextCentre);
        using var calibratedPipeline = new TextToImagePipeline(models.Clip, TinyModels.Tokenizer.Value, models.Generator, models.Prior, calibrated) { MaxBatch = 7 };
        var request = Request("a blue square on the left", GenerationMethod.Csla, 1, 3, 5);
        Assert.Equal(1.5, calibratedPipeline.EffectiveTruncation(request));
        Assert.Equal(1.0, pipeline.EffectiveTruncation(request));
        Assert.Equal(1.0, calibratedPipeline.EffectiveTruncation(request with { Method = GenerationMethod.Prior }));
        Assert.Equal(0.5, calibratedPipeline.EffectiveTruncation(request with { Truncation = 0.5 }));

        // the default centre is c_txt at the file's strength; Prompt is the neutral prompt, as the uncalibrated model
        // does it; an explicit α equal to the default gives the same images
        using var byDefault = calibratedPipeline.Generate(request);
        using var explicitAlpha = calibratedPipeline.Generate(request with { Truncation = 1.5 });
        using var fromPrompt = calibratedPipeline.Generate(request with { CslaTextCentre = CslaTextCentre.Prompt, Truncation = 1.0 });
        using var uncalibrated = pipeline.Generate(request);
        using (var same = byDefault.Images[0].Image.sub(explicitAlpha.Images[0].Image).abs().max())
            Assert.True(same.item<float>() < 1e-6);
        using (var samePrompt = fromPrompt.Images[0].Image.sub(uncalibrated.Images[0].Image).abs().max())
            Assert.True(samePrompt.item<float>() < 1e-5, "the neutral prompt path changed");
        using (var diff = byDefault.Images[0].Image.sub(fromPrompt.Images[0].Image).abs().max())
            Assert.True(diff.item<float>() > 1e-3, "the calibrated centre did not change the image");
    }

    [Fact]
    public void A_calibrated_text_centre_survives_save_and_load_and_a_wrong_one_is_refused()
    {
        using var centre = randn(models.Csla.Config.EmbedDim);
        using var calibrated = models.Csla.WithTextCentre(centre, "random", 1.25);
        using (var loaded = SavedAndLoaded(calibrated))
        {
            Assert.Equal("random", loaded.Config.TextCentreSource);
            Assert.Equal(1.25, loaded.Config.TextStrength);
            Assert.True(loaded.TextCentre!.allclose(centre));
        }
        using var wrong = randn(models.Csla.Config.EmbedDim + 1);
        Assert.Throws<ArgumentException>(() => models.Csla.WithTextCentre(wrong, "wrong", 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => models.Csla.WithTextCentre(centre, "too strong", 3.0));
    }

    [Fact]
    public void The_gaussian_transport_map_carries_one_covariance_onto_the_other()
    {
        using var scope = NewDisposeScope();
        var x = randn(6, 6, dtype: ScalarType.Float64);
        var y = randn(6, 6, dtype: ScalarType.Float64);
        var from = x.matmul(x.T).add(eye(6, dtype: ScalarType.Float64).mul(0.1));
        var to = y.matmul(y.T).add(eye(6, dtype: ScalarType.Float64).mul(0.1));
        var map = StyleBridge.Engine.Training.CslaTextCentres.GaussianTransport(from, to);
        Assert.True(map.allclose(map.T, rtol: 1e-9, atol: 1e-9), "the map is not symmetric");
        Assert.True(map.matmul(from).matmul(map).allclose(to, rtol: 1e-6, atol: 1e-8), "T·A·T is not B");
        Assert.True(linalg.eigvalsh(map).min().item<double>() > 0, "the map is not positive definite");
        Assert.True(StyleBridge.Engine.Training.CslaTextCentres.GaussianTransport(from, from).allclose(eye(6, dtype: ScalarType.Float64), rtol: 1e-6, atol: 1e-8),
            "the map between equal Gaussians is not the identity");
        Assert.Throws<ArgumentException>(() => StyleBridge.Engine.Training.CslaTextCentres.GaussianTransport(from, to.narrow(0, 0, 5)));
    }

    [Fact]
    public void A_text_map_survives_save_and_load_and_moves_only_the_calibrated_csla_images()
    {
        string[] prompts = ["a red circle", "a blue square on the left", "a small shape", "a triangle at the top", "a green shape", "a big yellow circle"];
        var csla = models.Csla;
        long d = csla.Config.EmbedDim;
        using var centre = StyleBridge.Engine.Training.CslaTextCentres.Compute(models.Clip, TinyModels.Tokenizer.Value, csla, prompts);
        using var images = StyleBridge.Engine.Training.CslaTextCentres.ImageBank(models.Clip, models.Generator, samples: 12, seed: 3, batch: 5);
        using var map = StyleBridge.Engine.Training.CslaTextCentres.TransportMap(models.Clip, TinyModels.Tokenizer.Value, csla, prompts, centre, images,
            shrinkage: 0.2, batch: 5);
        Assert.Equal([d, d], map.shape);
        Assert.True(map.isfinite().all().item<bool>());
        Assert.True(map.allclose(map.T, rtol: 1e-5, atol: 1e-6), "the map is not symmetric");
        using (var identity = eye(d))
            Assert.False(map.allclose(identity, rtol: 1e-3, atol: 1e-3), "the map is the identity");

        using var plain = csla.WithTextCentre(centre, "six prompts", 1.25);
        using var mapped = csla.WithTextCentre(centre, "six prompts", 1.25, map, "six prompts onto 12 samples");
        using var unit = eye(d);
        using var identityMapped = csla.WithTextCentre(centre, "six prompts", 1.25, unit, "the identity");
        Assert.Null(plain.TextMap);
        using (var loaded = SavedAndLoaded(mapped))
        {
            Assert.Equal("six prompts onto 12 samples", loaded.Config.TextMapSource);
            Assert.True(loaded.TextMap!.allclose(map));
        }
        using (var wrong = eye(d + 1))
            Assert.Throws<ArgumentException>(() => csla.WithTextCentre(centre, "wrong", 1.0, wrong, "wrong"));
        using (var square = eye(d))
            Assert.ThrowsAny<ArgumentException>(() => csla.WithTextCentre(centre, "no source", 1.0, square, null));

        var request = Request("a blue square on the left", GenerationMethod.Csla, 1, 3, 5);
        using var withPlain = GenerateWith(plain, request);
        using var withMap = GenerateWith(mapped, request);
        using var withIdentity = GenerateWith(identityMapped, request);
        using var imageCentrePlain = GenerateWith(plain, request with { CslaTextCentre = CslaTextCentre.Image });
        using var imageCentreMapped = GenerateWith(mapped, request with { CslaTextCentre = CslaTextCentre.Image });
        using (var diff = withPlain.Images[0].Image.sub(withMap.Images[0].Image).abs().max())
            Assert.True(diff.item<float>() > 1e-3, "the text map did not change the image");
        using (var same = withPlain.Images[0].Image.sub(withIdentity.Images[0].Image).abs().max())
            Assert.True(same.item<float>() < 1e-5, "the identity map changed the image");
        // the map belongs to residuals from c_txt: from the image centre it is not applied
        using (var same = imageCentrePlain.Images[0].Image.sub(imageCentreMapped.Images[0].Image).abs().max())
            Assert.True(same.item<float>() < 1e-5, "the text map was applied to residuals from the image centre");
    }

    [Fact]
    public void A_text_prototype_is_the_mean_of_the_nearest_bank_images()
    {
        var csla = models.Csla;
        int d = csla.Config.EmbedDim;
        using var scope = NewDisposeScope();
        // four bank images: two along e0 (at different scales), one along e1, one along −e0
        var bank = zeros(4, d);
        bank[0, 0] = tensor(2f);
        bank[1, 0] = tensor(1f);
        bank[1, 1] = tensor(0.1f);
        bank[2, 1] = tensor(3f);
        bank[3, 0] = tensor(-1f);
        using var banked = csla.WithTextBank(bank, "four test images", topK: 2);
        Assert.Equal(4, banked.Config.TextBankSize);
        var text = zeros(2, d);
        text[0, 0] = tensor(5f);
        text[1, 1] = tensor(1f);
        text[1, 0] = tensor(0.2f);
        var prototype = banked.TextPrototype(text);
        // e0: images 0 and 1 (raw mean); e1 with a little e0: image 2 and image 1
        var expected = stack([bank[0].add(bank[1]).div(2), bank[2].add(bank[1]).div(2)]);
        Assert.True(prototype.allclose(expected, rtol: 1e-6, atol: 1e-6));

        var baseEmbedding = randn(2, d);
        var deltaF = banked.DeltaFFromBank(text, baseEmbedding);
        Assert.True(deltaF.allclose(banked.PrepareEmbedding(expected).sub(banked.PrepareEmbedding(baseEmbedding)), rtol: 1e-5, atol: 1e-6));

        Assert.Throws<ArgumentException>(() => banked.TextPrototype(zeros(2, d + 1)));
        Assert.Throws<InvalidOperationException>(() => csla.TextPrototype(text));
        Assert.Throws<ArgumentOutOfRangeException>(() => csla.WithTextBank(bank, "too many", topK: 5));
        Assert.Throws<ArgumentException>(() => csla.WithTextBank(zeros(4, d + 1), "too wide"));
        Assert.ThrowsAny<ArgumentException>(() => csla.WithTextBank(bank, null));
        using var removed = banked.WithTextBank(null);
        Assert.Null(removed.TextBank);
        Assert.Null(removed.Config.TextBankSource);
    }

    [Fact]
    public void An_image_bank_survives_save_and_load_and_replaces_the_text_residual_on_the_calibrated_path_only()
    {
        string[] prompts = ["a red circle", "a blue square on the left", "a small shape", "a triangle at the top"];
        var csla = models.Csla;
        using var centre = StyleBridge.Engine.Training.CslaTextCentres.Compute(models.Clip, TinyModels.Tokenizer.Value, csla, prompts);
        using var bank = StyleBridge.Engine.Training.CslaTextCentres.ImageBank(models.Clip, models.Generator, samples: 9, seed: 4, batch: 4);
        Assert.Equal([9L, csla.Config.EmbedDim], bank.shape);
        using (var again = StyleBridge.Engine.Training.CslaTextCentres.ImageBank(models.Clip, models.Generator, samples: 9, seed: 4, batch: 4))
            Assert.True(again.eq(bank).all().item<bool>(), "the bank is not reproducible from its seed");
        using var plain = csla.WithTextCentre(centre, "four prompts", 1.25);
        using var banked = plain.WithTextBank(bank, "9 samples", topK: 3);
        using (var loaded = SavedAndLoaded(banked))
        {
            Assert.Equal("9 samples", loaded.Config.TextBankSource);
            Assert.Equal(3, loaded.Config.TextBankTopK);
            Assert.True(loaded.TextBank!.allclose(bank));
            // recalibrating the centre keeps the bank
            using var recentred = loaded.WithTextCentre(centre, "again", 1.0);
            Assert.True(recentred.TextBank!.allclose(bank));
        }

        var request = Request("a blue square on the left", GenerationMethod.Csla, 1, 3, 5);
        using var withPlain = GenerateWith(plain, request);
        using var withBank = GenerateWith(banked, request);
        using (var diff = withPlain.Images[0].Image.sub(withBank.Images[0].Image).abs().max())
            Assert.True(diff.item<float>() > 1e-3, "the image bank did not change the image");
        foreach (var other in new[] { CslaTextCentre.Image, CslaTextCentre.Prompt })
        {
            using var a = GenerateWith(plain, request with { CslaTextCentre = other });
            using var b = GenerateWith(banked, request with { CslaTextCentre = other });
            using var same = a.Images[0].Image.sub(b.Images[0].Image).abs().max();
            Assert.True(same.item<float>() < 1e-5, $"the image bank was used with the {other} centre");
        }
    }
}
