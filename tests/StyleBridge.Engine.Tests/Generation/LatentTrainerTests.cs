using StyleBridge.Engine.Data;
using StyleBridge.Engine.Training;
using StyleBridge.Models.Clip;
using StyleBridge.Models.Csla;
using static TorchSharp.torch;

namespace StyleBridge.Engine.Tests.Generation;

/// <summary>Data generation, the prior and CSLA trainers on tiny models: learning, resuming, CSLA's identities at init.</summary>
public sealed class LatentTrainerTests : IDisposable
{
    private readonly TinyModels models = new();
    private readonly string directory = Directory.CreateTempSubdirectory("latent-trainers-").FullName;

    public void Dispose()
    {
        models.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private (Tensor W, Tensor F) Data(int count = 300)
    {
        string dir = Path.Combine(directory, "data");
        LatentDataset.Generate(models.Generator, models.Clip, new ClipImageTransform(16), dir, count, 128, seed: 3, batch: 50);
        return LatentDataset.Load(dir);
    }

    [Fact]
    public void Data_generation_resumes_to_the_same_bytes()
    {
        string a = Path.Combine(directory, "a"), b = Path.Combine(directory, "b");
        LatentDataset.Generate(models.Generator, models.Clip, new ClipImageTransform(16), a, 300, 128, seed: 3, batch: 50);
        // an interrupted run: the first chunk only, then the rest
        LatentDataset.Generate(models.Generator, models.Clip, new ClipImageTransform(16), b, 128, 128, seed: 3, batch: 50);
        File.Delete(LatentDataset.ChunkPath(b, 1));
        int written = LatentDataset.Generate(models.Generator, models.Clip, new ClipImageTransform(16), b, 300, 128, seed: 3, batch: 50);
        Assert.Equal(2, written);
        for (int c = 0; c < 3; c++)
            Assert.Equal(File.ReadAllBytes(LatentDataset.ChunkPath(a, c)), File.ReadAllBytes(LatentDataset.ChunkPath(b, c)));
        var (w, f) = LatentDataset.Load(a);
        Assert.Equal(new long[] { 300, 16 }, w.shape);
        Assert.Equal(new long[] { 300, 16 }, f.shape);
    }

    [Fact]
    public void Prior_training_lowers_its_loss_and_resumes_exactly()
    {
        var (w, f) = Data();
        var options = new PriorTrainerOptions(Steps: 60, Batch: 64, Seed: 2, Depth: 1, Heads: 2, DimHead: 8, LearningRate: 2e-3, EmaBeta: 0.9, LatentRepeats: models.Generator.NLatent);
        using var trainer = new PriorTrainer(options, w, f);
        double first = Enumerable.Range(0, 5).Average(_ => trainer.Step());
        for (int i = 0; i < 45; i++)
            trainer.Step();
        double later = Enumerable.Range(0, 5).Average(_ => trainer.Step());
        Assert.True(later < first * 0.8, $"prior mse {first:F3} → {later:F3}");

        string cp = Path.Combine(directory, "prior");
        trainer.Save(cp);
        double expected = trainer.Step();
        using var resumed = PriorTrainer.Resume(cp, w, f);
        Assert.Equal(55, resumed.StepCount);
        Assert.Equal(expected, resumed.Step(), 6);

        string file = Path.Combine(directory, "prior.safetensors");
        trainer.Export(file);
        using var loaded = StyleBridge.Models.Prior.LatentPrior.FromFile(file);
        Assert.Equal(models.Generator.NLatent, loaded.Config.LatentRepeats);
        Assert.True(loaded.LatentStd.sub(trainer.Ema.LatentStd).abs().max().item<float>() == 0);
    }

    [Fact]
    public void Pseudo_text_noise_keeps_the_length_and_turns_the_direction()
    {
        using var rng = new TorchSharp.torch.Generator(4);
        var e = randn(2000, 64, generator: rng).mul(3);
        var augmented = PriorTrainer.PseudoTextNoise(e, 1.0, rng);
        Assert.True(augmented.norm(1).sub(e.norm(1)).abs().max().item<float>() < 1e-4);
        double cosine = nn.functional.cosine_similarity(e, augmented, 1).mean().item<float>();
        Assert.InRange(cosine, 0.68, 0.73); // 1/√(1 + s²) for s = 1
    }

    [Fact]
    public void Csla_starts_at_its_centre_with_heads_equal_to_the_affines()
    {
        using var csla = new CslaModel(new CslaConfig(16, 16, MapperDepth: 3), models.Generator);
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var wBase = models.Generator.Map(randn(4, 16));
        var (w, styles) = csla.Apply(randn(4, 16), wBase);
        Assert.True(w.sub(wBase).abs().max().item<float>() == 0, "a zero last layer gives Δw = 0");
        var sBase = models.Generator.Styles(wBase);
        for (int k = 0; k < styles.Length; k++)
            Assert.True(styles[k].sub(sBase[k]).abs().max().item<float>() < 1e-6);

        // heads = A: H(Δw) = A(w + Δw) − A(w), and ASM is the identity at init
        var dw = randn(4, 16).mul(0.5);
        var edited = csla.Styles(sBase, dw);
        var viaW = models.Generator.Styles(wBase.add(dw));
        for (int k = 0; k < edited.Length; k++)
            Assert.True(edited[k].sub(viaW[k]).abs().max().item<float>() < 1e-4, $"layer {k}");
    }

    /// <summary>w of the generator with embeddings that are a fixed invertible function of w (learnable, unlike the tiny random CLIP's).</summary>
    private (Tensor W, Tensor F) Learnable(int count = 512)
    {
        using var rng = new TorchSharp.torch.Generator(21);
        using var mode = no_grad();
        var w = models.Generator.Map(randn(count, 16, generator: rng));
        var mix = randn(16, 16, generator: rng).div(4);
        return (w.DetachFromDisposeScope(), w.matmul(mix).tanh().DetachFromDisposeScope());
    }

    [Theory]
    [InlineData(CslaCentre.TemporalPrevious, AsmKind.Gate)]
    [InlineData(CslaCentre.Mean, AsmKind.Mix)]
    [InlineData(CslaCentre.BatchMean, AsmKind.None)]
    [InlineData(CslaCentre.TemporalPrevious, AsmKind.Gate, 0.5, 0.5)]
    public void Csla_training_lowers_its_losses_and_resumes_exactly(CslaCentre centre, AsmKind asm, double embedNoise = 0, double noiseShare = 1)
    {
        var (w, f) = Learnable();
        var options = new CslaTrainerOptions(Steps: 100, Batch: 64, Seed: 3, LearningRate: 3e-3,
            Config: new CslaConfig(16, 16, MapperDepth: 3, Asm: asm, Centre: centre), EmbedNoiseScale: embedNoise, EmbedNoiseShare: noiseShare);
        using var trainer = new CslaTrainer(options, models.Generator, w, f);
        double Loss() => Enumerable.Range(0, 5).Select(_ => trainer.Step()).Average(l => l.LossW + l.LossS);
        double first = Loss();
        for (int i = 0; i < 60; i++)
            trainer.Step();
        double later = Loss();
        Assert.True(later < first * 0.85, $"{centre}/{asm}: training loss {first:F3} → {later:F3}");

        string cp = Path.Combine(directory, $"csla-{centre}-{embedNoise}");
        trainer.Save(cp);
        var expected = trainer.Step();
        using var resumed = CslaTrainer.Resume(cp, models.Generator, w, f);
        var actual = resumed.Step();
        Assert.Equal(expected.LossW, actual.LossW, 6);
        Assert.Equal(expected.LossS, actual.LossS, 6);

        string file = Path.Combine(directory, $"csla-{centre}-{embedNoise}.safetensors");
        trainer.Export(file);
        using var loaded = CslaModel.FromFile(file, models.Generator);
        Assert.Equal(trainer.Model.Config, loaded.Config);
    }

    [Fact]
    public void Csla_embedding_noise_and_its_share_change_training_steps_and_not_validation()
    {
        var (w, f) = Learnable();
        var clean = new CslaTrainerOptions(Steps: 10, Batch: 64, Seed: 3, LearningRate: 3e-3, Config: new CslaConfig(16, 16, MapperDepth: 3));
        using var a = new CslaTrainer(clean, models.Generator, w, f);
        using var b = new CslaTrainer(clean with { EmbedNoiseScale = 1.0 }, models.Generator, w, f);
        using var c = new CslaTrainer(clean with { EmbedNoiseScale = 1.0, EmbedNoiseShare = 0.5 }, models.Generator, w, f);
        Assert.Equal(a.Validate().LossW, b.Validate().LossW, 6);
        // the mapper's last layer starts at zero, so the first step's loss cannot see f; the third can
        for (int i = 0; i < 2; i++)
        {
            a.Step();
            b.Step();
            c.Step();
        }
        var (lossA, lossB, lossC) = (a.Step().LossW, b.Step().LossW, c.Step().LossW);
        Assert.NotEqual(lossA, lossB, 4);
        Assert.NotEqual(lossA, lossC, 4);
        Assert.NotEqual(lossB, lossC, 4);
    }
}
