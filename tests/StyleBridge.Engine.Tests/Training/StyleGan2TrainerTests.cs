using StyleBridge.Engine.Training;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Tests.Training;

/// <summary>The StyleGAN2 training loop on tiny models (16×16, 8–16 channels, batch 4).</summary>
public sealed class StyleGan2TrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("stylegan2-trainer-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static StyleGan2TrainerOptions Tiny(long seed = 1) => new()
    {
        Size = 16,
        StyleDim = 16,
        NMlp = 2,
        Channels = new Dictionary<int, int> { [4] = 16, [8] = 12, [16] = 8 },
        Batch = 4,
        DRegEvery = 2,
        Seed = seed,
    };

    private static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        using var _ = no_grad();
        return StateDicts.Of(module).ToDictionary(e => e.Key, e => e.Value.detach().clone(), StringComparer.Ordinal);
    }

    private static void Close(Tensor actual, Tensor expected, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var diff = actual.sub(expected).abs().max();
        double max = diff.item<float>();
        Assert.True(max <= tolerance, $"{what}: max |difference| {max:G3} > {tolerance:G3}");
    }

    private static void AssertSameTensors(nn.Module expected, nn.Module actual, string what)
    {
        var a = StateDicts.Of(expected);
        var b = StateDicts.Of(actual);
        Assert.Equal(a.Select(e => e.Key), b.Select(e => e.Key));
        for (int i = 0; i < a.Count; i++)
            Assert.True(a[i].Value.SameAs(b[i].Value), $"{what}.{a[i].Key} differs");
    }

    /// <summary>
    /// D alone (G frozen, R1 off, a livelier lr) on one fixed batch of reals learns to separate it from G's fakes:
    /// the mean of the last three losses is well below that of the first three (measured margins 0.5–1.5).
    /// Full D+G steps are no such monotone signal: the two players move each other's loss.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void DiscriminatorSteps_OnAFixedBatch_ReduceTheDLoss(long seed)
    {
        using var reals = new StyleGan2Trainer(Tiny(seed)).WorldBatch(0);
        using var trainer = new StyleGan2Trainer(Tiny(seed) with { R1Gamma = 0, LearningRate = 0.005 }, _ => reals.clone());
        var losses = Enumerable.Range(0, 15).Select(_ => trainer.Step(trainGenerator: false).DLoss).ToArray();
        output.WriteLine(string.Join(" ", losses.Select(l => l.ToString("F3"))));
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^3..].Average() < losses[..3].Average() - 0.2, $"D loss did not fall: {string.Join(", ", losses)}");
    }

    [Fact]
    public void Step_UpdatesGAndD_RegularisesOnSchedule_AndAveragesG()
    {
        using var trainer = new StyleGan2Trainer(Tiny());
        var g0 = Snapshot(trainer.G);
        var d0 = Snapshot(trainer.D);
        AssertSameTensors(trainer.G, trainer.GEma, "G_ema at start");

        var first = trainer.Step();
        Assert.Equal(0, first.Step);
        Assert.True(double.IsFinite(first.DLoss) && double.IsFinite(first.GLoss) && first.ImagesPerSecond > 0);
        Assert.NotNull(first.R1);
        Assert.True(first.R1 > 0);
        Assert.Equal(1, trainer.StepCount);

        foreach (var (name, p) in trainer.G.named_parameters())
            Assert.False(p.SameAs(g0[name]), $"G.{name} did not change");
        foreach (var (name, p) in trainer.D.named_parameters())
            Assert.False(p.SameAs(d0[name]), $"D.{name} did not change");

        // G_ema ← G_ema·β + G·(1 − β), from G's initial weights
        double beta = trainer.EmaDecay;
        Assert.Equal(Math.Pow(0.5, 4 / 10_000.0), beta, 15);
        var g = trainer.G.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, ema) in trainer.GEma.named_parameters())
        {
            using var expected = g0[name].mul(beta).add(g[name], alpha: 1 - beta);
            Close(ema, expected, 1e-6, $"G_ema.{name}");
            Assert.False(ema.requires_grad);
        }

        var second = trainer.Step();
        Assert.Null(second.R1);
        Assert.NotNull(trainer.Step().R1);
        foreach (var t in g0.Values.Concat(d0.Values))
            t.Dispose();
    }

    [Fact]
    public void Steps_LeaveNoTensorsBehind()
    {
        using var trainer = new StyleGan2Trainer(Tiny(2));
        trainer.Step();
        trainer.Step();
        long before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        for (int i = 0; i < 4; i++) // two with R1, two without
            trainer.Step();
        trainer.Step(trainGenerator: false);
        long after = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    [Fact]
    public void Optimisers_FollowRosinalitysLazyRegularisationCorrection()
    {
        using var trainer = new StyleGan2Trainer(Tiny() with { DRegEvery = 16, LearningRate = 0.002 });
        var gGroup = Assert.Single(trainer.GOptimizer.ParamGroups);
        var dGroup = Assert.Single(trainer.DOptimizer.ParamGroups);
        Assert.Equal(0.002, gGroup.LearningRate, 12);
        Assert.Equal(0.002 * 16 / 17, dGroup.LearningRate, 12);
        Assert.Equal((0.0, 0.99), ((optim.IBetas)trainer.GOptimizer).Betas);
        var (b1, b2) = ((optim.IBetas)trainer.DOptimizer).Betas;
        Assert.Equal(0, b1);
        Assert.Equal(Math.Pow(0.99, 16.0 / 17), b2, 12);
        Assert.Equal(trainer.G.parameters().Count(), trainer.GOptimizer.parameters().Count());
        Assert.Equal(trainer.D.parameters().Count(), trainer.DOptimizer.parameters().Count());
    }

    [Fact]
    public void SameSeed_GivesTheSameStep_AnotherSeedDoesNot()
    {
        using var a = new StyleGan2Trainer(Tiny(7));
        using var b = new StyleGan2Trainer(Tiny(7));
        using var c = new StyleGan2Trainer(Tiny(8));
        AssertSameTensors(a.G, b.G, "G");
        AssertSameTensors(a.D, b.D, "D");
        Assert.Equal(a.Step(), b.Step(), new LossComparer());
        Assert.NotEqual(a.Step().DLoss, c.Step().DLoss);
    }

    private sealed class LossComparer : IEqualityComparer<StepResult>
    {
        public bool Equals(StepResult? x, StepResult? y) =>
            x!.Step == y!.Step && x.DLoss == y.DLoss && x.GLoss == y.GLoss && x.R1 == y.R1;

        public int GetHashCode(StepResult obj) => obj.Step.GetHashCode();
    }

    [Fact]
    public void SaveAndResume_ContinuesBitForBit()
    {
        string path = Path.Combine(directory, "run.ckpt");
        using var original = new StyleGan2Trainer(Tiny(3) with { Mixing = 0.5 });
        for (int i = 0; i < 3; i++)
            original.Step();
        original.Save(path);

        using var resumed = StyleGan2Trainer.Resume(path);
        Assert.Equal(3, resumed.StepCount);
        Assert.Equal(original.Options with { Channels = resumed.Options.Channels }, resumed.Options);
        Assert.Equal(original.Options.Channels.OrderBy(kv => kv.Key), resumed.Options.Channels.OrderBy(kv => kv.Key));

        for (int i = 0; i < 2; i++) // step 3 (no R1), step 4 (R1)
        {
            var expected = original.Step();
            var actual = resumed.Step();
            Assert.Equal(expected.Step, actual.Step);
            Assert.Equal(expected.DLoss, actual.DLoss, 1e-6);
            Assert.Equal(expected.GLoss, actual.GLoss, 1e-6);
            Assert.Equal(expected.R1 is null, actual.R1 is null);
            if (expected.R1 is { } r1)
                Assert.Equal(r1, actual.R1!.Value, 1e-6);
        }

        AssertSameTensors(original.G, resumed.G, "G");
        AssertSameTensors(original.D, resumed.D, "D");
        AssertSameTensors(original.GEma, resumed.GEma, "G_ema");
    }

    [Fact]
    public void Resume_RejectsOtherFiles()
    {
        string path = Path.Combine(directory, "not-a-checkpoint");
        File.WriteAllText(path, "hello");
        Assert.ThrowsAny<Exception>(() => StyleGan2Trainer.Resume(path));
    }

    [Fact]
    public void ExportGenerator_LoadsWithFromFile_AndReproducesGEma()
    {
        string path = Path.Combine(directory, "g_ema.safetensors");
        using var trainer = new StyleGan2Trainer(Tiny(4));
        trainer.Step();
        trainer.Step();
        trainer.ExportGenerator(path, latentAvgSamples: 256);

        using var loaded = Generator.FromFile(path);
        Assert.Equal(16, loaded.Config.Size);
        Assert.Equal(16, loaded.Config.StyleDim);
        Assert.Equal(2, loaded.Config.NMlp);
        Assert.Equal(trainer.GEma.Config.Channels, loaded.Config.Channels);
        Assert.NotNull(loaded.LatentAvg);

        using var scope = NewDisposeScope();
        var z = randn(new long[] { 3, 16 }, generator: new torch.Generator(5));
        using (no_grad())
        {
            var expected = trainer.GEma.Generate(z, options: new SynthesisOptions(NoiseMode.Const));
            var actual = loaded.Generate(z, options: new SynthesisOptions(NoiseMode.Const));
            Close(actual, expected, 1e-5, "exported G_ema images");

            // latent_avg is the mean of mapped z's; truncation toward it works
            var w = loaded.Map(randn(new long[] { 512, 16 }, generator: new torch.Generator(6))).mean([0]);
            Assert.True(w.sub(loaded.LatentAvg!).abs().max().item<float>() < 0.5);
            Assert.Equal(new long[] { 3, 3, 16, 16 }, loaded.Generate(z, truncation: 0.7).shape);
        }
    }

    [Fact]
    public void WarmStart_TakesGAndGEmaFromAnExport_AndContinuesItsStep()
    {
        string path = Path.Combine(directory, "g_ema.safetensors");
        using (var source = new StyleGan2Trainer(Tiny(4)))
        {
            source.Step();
            source.Step();
            source.Step();
            source.ExportGenerator(path, latentAvgSamples: 16);
        }

        using var exported = SafeTensors.Load(path);
        using var warm = StyleGan2Trainer.WarmStart(Tiny(9), path);
        Assert.Equal(3, warm.StepCount);
        foreach (var (module, what) in new[] { ((nn.Module)warm.G, "G"), (warm.GEma, "G_ema") })
        {
            var own = StateDicts.Of(module);
            Assert.Equal(exported.Keys.Where(k => k != "latent_avg").Order(StringComparer.Ordinal), own.Select(e => e.Key).Order(StringComparer.Ordinal));
            foreach (var (name, tensor) in own)
                Assert.True(exported[name].SameAs(tensor), $"{what}.{name} differs from the export");
        }
        var r = warm.Step();
        Assert.Equal(3, r.Step);
        Assert.True(double.IsFinite(r.DLoss) && double.IsFinite(r.GLoss));
    }

    [Fact]
    public void WorldBatch_IsSeededPerStep_AtTheTrainingSize()
    {
        using var trainer = new StyleGan2Trainer(Tiny(9));
        using var a = trainer.WorldBatch(5);
        using var b = trainer.WorldBatch(5);
        using var c = trainer.WorldBatch(6);
        Assert.Equal(new long[] { 4, 3, 16, 16 }, a.shape);
        Assert.Equal(ScalarType.Float32, a.dtype);
        Assert.True(a.SameAs(b));
        Assert.False(a.SameAs(c));
        Assert.True(a.min().item<float>() >= -1 && a.max().item<float>() <= 1);

        using var full = new StyleGan2Trainer(Tiny(9) with { Size = 64, Channels = new Dictionary<int, int> { [4] = 8, [8] = 8, [16] = 8, [32] = 8, [64] = 8 } });
        using var big = full.WorldBatch(5);
        Assert.Equal(new long[] { 4, 3, 64, 64 }, big.shape);
        using var pooled = nn.functional.avg_pool2d(big, 4);
        Assert.True(pooled.SameAs(a));
    }

    [Theory]
    [InlineData(6, 16)]   // batch not a multiple of the stddev group
    [InlineData(0, 16)]
    [InlineData(4, 128)]  // larger than the world renders
    [InlineData(4, 24)]
    public void Options_AreValidated(int batch, int size)
    {
        var options = Tiny() with { Batch = batch, Size = size };
        Assert.Throws<ArgumentException>(() => new StyleGan2Trainer(options));
    }

    [Fact]
    public void RealSource_OfTheWrongShape_IsReported()
    {
        using var trainer = new StyleGan2Trainer(Tiny(), _ => zeros(2, 3, 16, 16));
        Assert.Throws<InvalidOperationException>(() => trainer.Step());
    }
}

internal static class TensorEquality
{
    /// <summary>Same dtype, shape and elements.</summary>
    public static bool SameAs(this Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape))
            return false;
        using var same = a.eq(b).all();
        return same.item<bool>();
    }
}
