using StyleBridge.Engine.Training;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Tests.Training;

/// <summary>The two-stage Shapes generator on tiny models (16×16): the autoencoder stage and the mapping GAN stage.</summary>
public sealed class TwoStageGeneratorTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("two-stage-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static StyleGan2AutoencoderOptions TinyAutoencoder(ulong seed = 1) => new()
    {
        Steps = 40,
        Batch = 8,
        LearningRate = 0.005,
        Seed = seed,
        Architecture = new StyleGan2TrainerOptions
        {
            Size = 16,
            StyleDim = 16,
            NMlp = 2,
            Channels = new Dictionary<int, int> { [4] = 16, [8] = 12, [16] = 8 },
        },
    };

    [Fact]
    public void LatentEncoder_MapsImagesToOneW_AndRefusesOtherShapes()
    {
        using var encoder = new LatentEncoder(16, new Dictionary<int, int> { [4] = 16, [8] = 12, [16] = 8 }, 24);
        using var w = encoder.Forward(randn(3, 3, 16, 16));
        Assert.Equal([3L, 24], w.shape);
        Assert.Throws<ArgumentException>(() => encoder.Forward(randn(3, 3, 32, 32)));
        Assert.Throws<ArgumentException>(() => encoder.Forward(randn(3, 1, 16, 16)));
    }

    [Fact]
    public void AutoencoderSchedule_DecaysByCosineToItsFinalFraction()
    {
        var options = TinyAutoencoder() with { Steps = 100, LearningRate = 0.002, FinalLearningRateFraction = 0.1 };
        Assert.Equal(0.002, options.LearningRateAt(0), 12);
        Assert.Equal(0.0002 + 0.0018 * 0.5, options.LearningRateAt(50), 12);
        Assert.Equal(0.0002, options.LearningRateAt(100), 12);
        Assert.Equal(0.002, (options with { FinalLearningRateFraction = 1 }).LearningRateAt(70), 12);
        Assert.Throws<ArgumentException>(() => (options with { FinalLearningRateFraction = 0 }).Validate());
    }

    [Fact]
    public void AutoencoderSteps_ReduceTheReconstructionError_AndLeaveTheMappingAlone()
    {
        using var trainer = new StyleGan2AutoencoderTrainer(TinyAutoencoder());
        var mapping = trainer.G.Style.parameters().Select(p => p.detach().clone()).ToList();
        var losses = Enumerable.Range(0, 40).Select(_ => trainer.Step()).ToArray();
        output.WriteLine(string.Join(" ", losses.Select(l => l.ToString("F3"))));
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^5..].Average() < 0.6 * losses[..5].Average(), $"the MSE did not fall: {string.Join(", ", losses)}");
        foreach (var (before, after) in mapping.Zip(trainer.G.Style.parameters()))
            Assert.True(before.SameAs(after), "the mapping network changed in stage one");
    }

    [Fact]
    public void Autoencoder_ResumesExactly_AndExportsAGeneratorAndItsEncoder()
    {
        var options = TinyAutoencoder(2) with { Steps = 6 };
        // both start from the same weights: the global RNG that seeds them is shared with tests running beside this one
        using var straight = new StyleGan2AutoencoderTrainer(options);
        using (var first = new StyleGan2AutoencoderTrainer(options))
        {
            Copy(straight.G, first.G);
            Copy(straight.E, first.E);
            for (int i = 0; i < 6; i++)
                straight.Step();
            for (int i = 0; i < 3; i++)
                first.Step();
            first.Save(directory);
        }

        using var resumed = StyleGan2AutoencoderTrainer.Resume(directory);
        Assert.Equal(3, resumed.StepCount);
        for (int i = 0; i < 3; i++)
            resumed.Step();
        foreach (var ((name, a), (_, b)) in StateDicts.Of(straight.G).Zip(StateDicts.Of(resumed.G)))
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6), $"G.{name} differs after resuming");

        string path = Path.Combine(directory, "g.safetensors");
        resumed.Export(path);
        using var g = Generator.FromFile(path);
        Assert.NotNull(g.LatentAvg);
        using var e = StyleGan2AutoencoderTrainer.LoadEncoder(StyleGan2AutoencoderTrainer.EncoderPath(path));
        using var scope = NewDisposeScope();
        var images = ShapeImages(4);
        Assert.True(e.Forward(images).allclose(resumed.E.Forward(images), rtol: 1e-5, atol: 1e-6));
    }

    private static void Copy(nn.Module from, nn.Module to) =>
        StateDicts.LoadInto(to, StateDicts.Of(from).ToDictionary(e => e.Key, e => e.Value));

    private static Tensor ShapeImages(int n) =>
        nn.functional.avg_pool2d(StyleBridge.Engine.World.ShapeSampler.Render(new StyleBridge.Engine.World.ShapeSampler(9).SampleBatch(n)), 4);

    private static (Generator G, LatentEncoder E) StageOne()
    {
        using var trainer = new StyleGan2AutoencoderTrainer(TinyAutoencoder(3));
        var g = new Generator(trainer.G.Config);
        StateDicts.LoadInto(g, StateDicts.Of(trainer.G).ToDictionary(e => e.Key, e => e.Value));
        var e = new LatentEncoder(16, TinyAutoencoder().Architecture.Channels, 16);
        StateDicts.LoadInto(e, StateDicts.Of(trainer.E).ToDictionary(x => x.Key, x => x.Value));
        return (g, e);
    }

    /// <summary>
    /// The bank is a fixed cloud away from where a fresh mapping puts z (shifted by 3 in every coordinate): mapping
    /// steps move the mapped mean toward it, and only the mapping and D change.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public void MappingSteps_MoveTheMappedDistributionTowardTheBank_AndTouchOnlyTheMapping(double slicedWeight)
    {
        var (g, e) = StageOne();
        e.Dispose();
        using var bank = randn(512, 16).mul(0.3).add(3);
        var options = new MappingGanOptions { Steps = 150, Batch = 64, BankSize = 512, MappingLearningRate = 5e-3, DLearningRate = 2e-3, SlicedWeight = slicedWeight };
        using var trainer = new MappingGanTrainer(options, g, bank.clone());
        var synthesis = trainer.G.named_parameters().Where(p => !p.name.StartsWith("style.")).Select(p => (p.name, Value: p.parameter.detach().clone())).ToList();
        double Distance()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            return trainer.G.Map(randn(1024, 16)).mean([0]).sub(bank.mean([0])).norm().item<float>();
        }

        double before = Distance();
        for (int i = 0; i < 150; i++)
        {
            var (d, gl, r1) = trainer.Step();
            Assert.True(double.IsFinite(d) && double.IsFinite(gl) && double.IsFinite(r1));
        }

        double after = Distance();
        output.WriteLine($"distance of the means {before:F3} → {after:F3}");
        Assert.True(after < 0.5 * before, $"the mapped mean did not approach the bank: {before:F3} → {after:F3}");
        var now = trainer.G.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in synthesis)
            Assert.True(value.SameAs(now[name]), $"{name} changed in stage two");
    }

    [Fact]
    public void Mapping_ResumesExactly_AndExportsALoadableGenerator()
    {
        var options = new MappingGanOptions { Steps = 6, Batch = 16, BankSize = 64 };
        Tensor Bank()
        {
            var (g, e) = StageOne();
            using (e)
            using (g)
                return MappingGanTrainer.EncodeBank(e, 64, 5);
        }

        var (g1, e1) = StageOne();
        e1.Dispose();
        using var straight = new MappingGanTrainer(options, g1, Bank());
        var (g2, e2) = StageOne();
        e2.Dispose();
        using (var first = new MappingGanTrainer(options, g2, straight.Bank.clone()))
        {
            // the same start for both (the global RNG is shared with tests running beside this one)
            Copy(straight.G, first.G);
            Copy(straight.GEma, first.GEma);
            Copy(straight.D, first.D);
            for (int i = 0; i < 6; i++)
                straight.Step();
            for (int i = 0; i < 3; i++)
                first.Step();
            first.Save(directory);
        }

        using var resumed = MappingGanTrainer.Resume(directory);
        for (int i = 0; i < 3; i++)
            resumed.Step();
        foreach (var ((name, a), (_, b)) in StateDicts.Of(straight.GEma).Zip(StateDicts.Of(resumed.GEma)))
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6), $"G_ema.{name} differs after resuming");

        string path = Path.Combine(directory, "mapped.safetensors");
        resumed.Export(path);
        using var loaded = Generator.FromFile(path);
        using var scope = NewDisposeScope();
        var z = randn(2, 16);
        Assert.True(loaded.Map(z).allclose(resumed.GEma.Map(z), rtol: 1e-5, atol: 1e-6));
    }

    /// <summary>A shift by v moves every projection on a unit direction d by v·d: the mean of (v·d)² is |v|²/W.</summary>
    [Fact]
    public void SlicedWasserstein_IsZeroForTheSameBatch_AndMeasuresAShift()
    {
        using var scope = NewDisposeScope();
        using var rng = new TorchSharp.torch.Generator(3);
        var a = randn(256, 8);
        var shift = tensor(new float[] { 1, -2, 0, 0.5f, 0, 0, 1, 0 });
        Assert.Equal(0, MappingGanTrainer.SlicedWasserstein(a, a, 64, rng).item<float>(), 6);
        double expected = shift.square().sum().item<float>() / 8;
        double measured = MappingGanTrainer.SlicedWasserstein(a.add(shift), a, 8192, rng).item<float>();
        Assert.InRange(measured, 0.93 * expected, 1.07 * expected);
        Assert.Throws<ArgumentException>(() => { MappingGanTrainer.SlicedWasserstein(a, randn(128, 8), 4, rng); });
    }

    [Fact]
    public void Bank_IsDeterministic()
    {
        var (g, e) = StageOne();
        using (g)
        using (e)
        {
            using var a = MappingGanTrainer.EncodeBank(e, 10, 4);
            using var b = MappingGanTrainer.EncodeBank(e, 10, 4);
            using var c = MappingGanTrainer.EncodeBank(e, 10, 5);
            Assert.Equal([10L, 16], a.shape);
            Assert.True(a.SameAs(b));
            Assert.False(a.SameAs(c));
        }
    }
}
