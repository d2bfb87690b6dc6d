using StyleBridge.Engine.ModelSets;
using StyleBridge.Engine.Training;
using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Generator = StyleBridge.Models.StyleGan2.Generator;
using RandomGenerator = TorchSharp.torch.Generator;

namespace StyleBridge.Engine.Tests.Training;

/// <summary>Stage two by regression on a tiny generator (16×16, z of 32): scenes coded into z, mapped onto their targets.</summary>
public sealed class SceneMappingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("scene-mapping-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static readonly StyleGan2TrainerOptions Tiny = new()
    {
        Size = 16,
        StyleDim = 32,
        NMlp = 2,
        Channels = new Dictionary<int, int> { [4] = 16, [8] = 12, [16] = 8 },
    };

    private static SceneMappingTrainer NewTrainer(SceneMappingOptions options, Tensor? targets = null)
    {
        Generator g;
        lock (StyleGan2Trainer.InitLock)
        {
            manual_seed(21);
            g = new Generator(Tiny.GeneratorConfig());
        }

        var scenes = SceneMappingTrainer.DrawScenes(options);
        using var encoder = new LatentEncoder(16, Tiny.Channels, 32);
        return new SceneMappingTrainer(options, g, scenes, targets?.clone() ?? MappingGanTrainer.Encode(encoder, scenes));
    }

    [Fact]
    public void Steps_ReduceTheErrorInW_AndTouchOnlyTheMapping()
    {
        var options = new SceneMappingOptions { Steps = 120, Batch = 64, Scenes = 256, LearningRate = 5e-3 };
        using var trainer = NewTrainer(options);
        var synthesis = trainer.G.named_parameters().Where(p => !p.name.StartsWith("style.")).Select(p => (p.name, Value: p.parameter.detach().clone())).ToList();
        var losses = Enumerable.Range(0, options.Steps).Select(_ => trainer.Step()).ToArray();
        output.WriteLine($"mse {losses[..10].Average():F4} → {losses[^10..].Average():F4}");
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^10..].Average() < 0.5 * losses[..10].Average(), $"the MSE did not fall: {losses[..10].Average()} → {losses[^10..].Average()}");
        var now = trainer.G.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in synthesis)
            Assert.True(value.SameAs(now[name]), $"{name} changed in stage two");
    }

    [Fact]
    public void Run_ResumesExactly_AndExportsALoadableGenerator()
    {
        var options = new SceneMappingOptions { Steps = 6, Batch = 16, Scenes = 64 };
        // both start from the same weights and targets: the global RNG is shared with tests running beside this one
        using var straight = NewTrainer(options);
        using (var first = NewTrainer(options, straight.Targets))
        {
            StateDicts.LoadInto(first.G, StateDicts.Of(straight.G).ToDictionary(e => e.Key, e => e.Value));
            for (int i = 0; i < 6; i++)
                straight.Step();
            for (int i = 0; i < 3; i++)
                first.Step();
            first.Save(directory);
        }

        using var resumed = SceneMappingTrainer.Resume(directory);
        Assert.Equal(3, resumed.StepCount);
        for (int i = 0; i < 3; i++)
            resumed.Step();
        foreach (var ((name, a), (_, b)) in StateDicts.Of(straight.G).Zip(StateDicts.Of(resumed.G)))
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6), $"G.{name} differs after resuming");

        string path = Path.Combine(directory, "mapped.safetensors");
        resumed.Export(path);
        using var loaded = Generator.FromFile(path);
        using var scope = NewDisposeScope();
        var z = randn(2, 32);
        Assert.True(loaded.Map(z).allclose(resumed.G.Map(z), rtol: 1e-5, atol: 1e-6));
        Assert.NotNull(loaded.LatentAvg);
    }

    [Fact]
    public void SeparatedShapes_MoveEachShapesTargetsByItsOwnOrthogonalOffset()
    {
        using var scope = NewDisposeScope();
        var scenes = new ShapeSampler(31).SampleBatch(60);
        var targets = randn(60, 32);
        var original = targets.clone();
        var separated = SceneMappingTrainer.SeparateShapes(targets, scenes, 2.0, 7);
        Assert.True(targets.eq(original).all().item<bool>(), "the input was changed");
        var offsets = separated.sub(targets);
        var perShape = new Tensor[3];
        for (int i = 0; i < scenes.Length; i++)
        {
            var o = offsets[i];
            int shape = (int)scenes[i].Shape;
            Assert.Equal(2.0, o.norm().item<float>(), 4);
            if (perShape[shape] is null)
                perShape[shape] = o;
            else
                Assert.True(o.allclose(perShape[shape], rtol: 1e-5, atol: 1e-5), $"scene {i}: another offset for its shape");
        }

        Assert.All(perShape, Assert.NotNull);
        for (int a = 0; a < 3; a++)
            for (int b = a + 1; b < 3; b++)
                Assert.Equal(0.0, perShape[a].dot(perShape[b]).item<float>(), 4);
        Assert.True(SceneMappingTrainer.SeparateShapes(targets, scenes, 2.0, 7).eq(separated).all().item<bool>(), "not a function of the seed");
        Assert.False(SceneMappingTrainer.SeparateShapes(targets, scenes, 2.0, 8).allclose(separated), "the seed is not used");
        Assert.Throws<ArgumentException>(() => SceneMappingTrainer.SeparateShapes(targets.narrow(0, 0, 10), scenes, 2.0, 7));
        Assert.Throws<ArgumentException>(() => new SceneMappingOptions { ShapeSeparation = -1 }.Validate());
    }

    [Fact]
    public void MappedTargets_AreEachScenesMeanW_SeededAndNarrowedByMoreDraws()
    {
        using var scope = NewDisposeScope();
        Generator g;
        lock (StyleGan2Trainer.InitLock)
        {
            manual_seed(21);
            g = new Generator(Tiny.GeneratorConfig());
        }

        using (g)
        {
            var drawn = new ShapeSampler(5).SampleBatch(40);
            var other = drawn.First(t => t.Shape != drawn[0].Shape && t.Colour != drawn[0].Colour && t.Position != drawn[0].Position);
            ShapeScene[] scenes = [drawn[0], drawn[0], other];
            double Spread(Tensor t) => t[0].sub(t[1]).norm().item<float>();
            var one = SceneMappingTrainer.MapScenes(g, scenes, draws: 1, seed: 3);
            var many = SceneMappingTrainer.MapScenes(g, scenes, draws: 64, seed: 3);
            output.WriteLine($"same scene: {Spread(one):F4} (1 draw), {Spread(many):F4} (64); other scene {many[0].sub(many[2]).norm().item<float>():F4}");
            Assert.Equal([3, 32], many.shape);
            Assert.True(Spread(many) < 0.4 * Spread(one), $"64 draws do not narrow a scene's target: {Spread(many)} against {Spread(one)}");
            Assert.True(Spread(many) < 0.5 * many[0].sub(many[2]).norm().item<float>(), "a scene's target is no nearer its own repeat than another scene's");
            Assert.True(SceneMappingTrainer.MapScenes(g, scenes, 64, 3).eq(many).all().item<bool>(), "not a function of the seed");
            Assert.False(SceneMappingTrainer.MapScenes(g, scenes, 64, 4).eq(many).all().item<bool>(), "the seed is not used");
            Assert.Throws<ArgumentOutOfRangeException>(() => SceneMappingTrainer.MapScenes(g, scenes, 0, 3));
        }
    }

    [Fact]
    public void TargetsOfTheWrongShape_AreRefused()
    {
        var options = new SceneMappingOptions { Scenes = 8 };
        using var g = new Generator(Tiny.GeneratorConfig());
        var scenes = SceneMappingTrainer.DrawScenes(options);
        using var wrong = zeros(8, 16);
        Assert.Throws<ArgumentException>(() => new SceneMappingTrainer(options, g, scenes, wrong));
        using var narrowZ = new Generator((Tiny with { StyleDim = 16 }).GeneratorConfig());
        using var targets = zeros(8, 16);
        Assert.Throws<ArgumentException>(() => new SceneMappingTrainer(options, narrowZ, scenes, targets));
    }

    [Theory]
    [InlineData("mse", 0.0)]
    [InlineData("l1", 0.05)]
    [InlineData("l1", 0.0, 8.0, 4.0)]
    [InlineData("l1", 0.0, 8.0, 1.0, 0.5)]
    public void DistillationSteps_ReduceThePixelError_AndResumeExactly(string pixelLoss, double adversarialWeight, double objectWeight = 1, double shapeWeight = 1,
        double colourMixing = 0)
    {
        // every trainer starts from copies of one seeded generator (the global RNG is shared with tests running beside this one)
        Generator seeded;
        lock (StyleGan2Trainer.InitLock)
        {
            manual_seed(22);
            seeded = new Generator(Tiny.GeneratorConfig());
        }

        using var initial = seeded;
        var weights = StateDicts.Of(initial).ToDictionary(e => e.Key, e => e.Value);
        Dictionary<string, Tensor>? dWeights = null;
        SceneDistillationTrainer New(SceneDistillationOptions options)
        {
            var g = new Generator(Tiny.GeneratorConfig());
            StateDicts.LoadInto(g, weights);
            SceneDistillationTrainer trainer;
            lock (StyleGan2Trainer.InitLock)
            {
                manual_seed(23);
                trainer = new SceneDistillationTrainer(options, g);
            }

            if (trainer.D is { } d)
            {
                dWeights ??= StateDicts.Of(d).ToDictionary(e => e.Key, e => e.Value.clone());
                StateDicts.LoadInto(d, dWeights);
            }

            return trainer;
        }

        var options = new SceneDistillationOptions
        {
            Steps = 60, Batch = 8, LearningRate = 5e-3, MappingLearningRate = 5e-3, PixelLoss = pixelLoss,
            AdversarialWeight = adversarialWeight, DRegEvery = 2, ObjectWeight = objectWeight, ShapeWeight = shapeWeight,
            ColourMixing = colourMixing, ColourLayer = 3,
        };
        using (var trainer = New(options))
        {
            Assert.Equal(adversarialWeight > 0, trainer.D is not null);
            var steps = Enumerable.Range(0, options.Steps).Select(_ => trainer.Step()).ToArray();
            var losses = steps.Select(s => s.Pixel).ToArray();
            output.WriteLine($"{pixelLoss} {losses[..5].Average():F4} → {losses[^5..].Average():F4}; D {steps[^1].DLoss}, G {steps[^1].GLoss}");
            double fall = pixelLoss == "l1" ? 0.8 : 0.6; // L1 falls as the root of the MSE does
            Assert.True(losses[^5..].Average() < fall * losses[..5].Average(), $"the pixel loss did not fall: {losses[..5].Average()} → {losses[^5..].Average()}");
            Assert.All(steps, s => Assert.Equal(adversarialWeight > 0, s.DLoss is { } d && double.IsFinite(d) && s.GLoss is { } g && double.IsFinite(g)));
        }

        var short_ = options with { Steps = 4 };
        using var straight = New(short_);
        for (int i = 0; i < 4; i++)
            straight.Step();
        using (var first = New(short_))
        {
            for (int i = 0; i < 2; i++)
                first.Step();
            first.Save(directory);
        }

        using var resumed = SceneDistillationTrainer.Resume(directory);
        for (int i = 0; i < 2; i++)
            resumed.Step();
        foreach (var ((name, a), (_, b)) in StateDicts.Of(straight.G).Zip(StateDicts.Of(resumed.G)))
            Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5), $"G.{name} differs after resuming by {a.sub(b).abs().max().item<float>()} (max {a.abs().max().item<float>()})");
        if (straight.D is not null)
            foreach (var ((name, a), (_, b)) in StateDicts.Of(straight.D).Zip(StateDicts.Of(resumed.D!)))
                Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5), $"D.{name} differs after resuming by {a.sub(b).abs().max().item<float>()}");
    }

    [Fact]
    public void ColourConfinement_ComparesADrawWithNoisyColourRows_ToTheRender_AwayFromTheObject()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(Tiny.GeneratorConfig());
        var scenes = new ShapeSampler(11).SampleBatch(3);
        var renders = StyleGan2Trainer.RenderAt(scenes, g.Config.Size);
        var w = randn(3, g.Config.StyleDim);
        var away = SceneDistillationTrainer.ObjectWeights(renders, 2).eq(1).to(renders.dtype);
        Assert.True(away.sum().item<float>() > 0);

        Tensor Loss(int layer, double noise)
        {
            using var rng = new RandomGenerator(7);
            return SceneDistillationTrainer.ConfinementLoss(g, w, renders, layer, noise, rng);
        }

        Tensor Unperturbed()
        {
            using var rng = new RandomGenerator(7);
            randn(3, 1, g.Config.StyleDim, generator: rng); // the method's noise draw comes first
            var image = g.Synthesize(g.Broadcast(w), new SynthesisOptions(NoiseMode.Random, rng));
            return image.sub(renders).abs().mean([1L], keepdim: true).mul(away).sum().div(away.sum());
        }

        using var mode = no_grad();
        var expected = Unperturbed().item<float>();
        Assert.Equal(expected, Loss(g.NLatent, 100).item<float>(), 5); // no row from the colour layer on: the plain draw
        Assert.Equal(expected, Loss(1, 1e-9).item<float>(), 5);
        Assert.NotEqual(expected, Loss(1, 3).item<float>(), 3); // noisy rows move the background
        Assert.Throws<ArgumentException>(() => new SceneDistillationOptions { ColourConfinement = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new SceneDistillationOptions { ConfinementNoise = 0 }.Validate());
        using var other = new Generator(Tiny.GeneratorConfig());
        Assert.Throws<ArgumentException>(() => new SceneDistillationTrainer(new SceneDistillationOptions { ColourConfinement = 1, ColourLayer = g.NLatent }, other));
    }

    [Fact]
    public void ColourMixing_TakesTheDonorsW_OnTheColourLayers_OfTheFirstRowsOnly()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(Tiny.GeneratorConfig());
        var w = randn(5, g.Config.StyleDim);
        var donors = randn(2, g.Config.StyleDim);
        int layer = g.NLatent - 2;
        var mixed = SceneDistillationTrainer.MixColours(g, w, donors, layer);
        Assert.Equal(new long[] { 5, g.NLatent, g.Config.StyleDim }, mixed.shape);
        for (int i = 0; i < 5; i++)
            for (int l = 0; l < g.NLatent; l++)
            {
                var expected = i < 2 && l >= layer ? donors[i] : w[i];
                Assert.True(mixed[i, l].eq(expected).all().item<bool>(), $"row {i}, layer {l}");
            }

        Assert.Throws<ArgumentOutOfRangeException>(() => SceneDistillationTrainer.MixColours(g, w, donors, g.NLatent));
        Assert.Throws<ArgumentOutOfRangeException>(() => SceneDistillationTrainer.MixColours(g, w, donors, 0));
        Assert.Throws<ArgumentException>(() => SceneDistillationTrainer.MixColours(g, w.narrow(0, 0, 1), donors, layer));
        Assert.Throws<ArgumentException>(() => new SceneDistillationOptions { ColourMixing = 1.5 }.Validate());
        using var other = new Generator(Tiny.GeneratorConfig());
        Assert.Throws<ArgumentException>(() => new SceneDistillationTrainer(new SceneDistillationOptions { ColourMixing = 0.5, ColourLayer = g.NLatent }, other));
    }

    [Fact]
    public void DistillationKeepingTheLatentSpaces_TrainsOnlyTheDrawing()
    {
        using var initial = new Generator(Tiny.GeneratorConfig());
        var before = StateDicts.Of(initial).ToDictionary(e => e.Key, e => e.Value.clone());
        var g = new Generator(Tiny.GeneratorConfig());
        StateDicts.LoadInto(g, before);
        using var average = randn(g.Config.StyleDim);
        g.SetLatentAvg(average);
        var options = new SceneDistillationOptions { Steps = 60, Batch = 8, LearningRate = 5e-3, MappingLearningRate = 5e-3, KeepLatentSpaces = true };
        using var trainer = new SceneDistillationTrainer(options, g);
        var losses = Enumerable.Range(0, options.Steps).Select(_ => trainer.Step().Pixel).ToArray();
        Assert.True(losses[^5..].Average() < 0.8 * losses[..5].Average(), $"the pixel loss did not fall: {losses[..5].Average()} → {losses[^5..].Average()}");

        int frozen = 0, trained = 0;
        foreach (var (name, p) in trainer.G.named_parameters())
        {
            bool same = p.detach().eq(before[name]).all().item<bool>();
            if (SceneDistillationTrainer.IsLatentSpaceParameter(name))
            {
                Assert.True(same, $"{name} changed although the latent spaces are kept");
                frozen++;
            }
            else if (!same)
                trained++;
        }

        Assert.True(frozen > 0 && trained > 0, $"{frozen} frozen, {trained} trained");
        Assert.Contains(trainer.G.named_parameters(), p => p.name.Contains(".modulation.", StringComparison.Ordinal));

        // the source's latent_avg survives a checkpoint and is what the export carries
        trainer.Save(directory);
        using var resumed = SceneDistillationTrainer.Resume(directory);
        string file = Path.Combine(directory, "kept.safetensors");
        resumed.Export(file);
        using var exported = StyleGan2Weights.Read(file);
        Assert.NotNull(exported.LatentAvg);
        Assert.True(exported.LatentAvg!.eq(average).all().item<bool>(), "the exported latent_avg is not the source's");
        Assert.Null(ModelSet.ColourLayerOf(SafeTensorsHeader.Read(file).Metadata, file)); // no colour mixing, no colour layer

        // a colour-mixing run records its colour layer with the weights
        using var mixing = new SceneDistillationTrainer(options with { ColourMixing = 0.5, ColourLayer = 2 }, new Generator(Tiny.GeneratorConfig()));
        string mixed = Path.Combine(directory, "mixed.safetensors");
        mixing.Export(mixed);
        Assert.Equal("2", SafeTensorsHeader.Read(mixed).Metadata[ModelSet.ColourLayerMetadataKey]);
        Assert.Equal(2, ModelSet.ColourLayerOf(SafeTensorsHeader.Read(mixed).Metadata, mixed));
    }
}
