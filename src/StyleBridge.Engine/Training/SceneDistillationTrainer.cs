using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Training;

/// <param name="LearningRate">Adam learning rate of the synthesis network.</param>
/// <param name="MappingLearningRate">Adam step of the mapping network relative to its weights' scale (/ lr_mul).</param>
public sealed record SceneDistillationOptions
{
    public int Steps { get; init; } = 1500;
    public int Batch { get; init; } = 32;
    public double LearningRate { get; init; } = 5e-4;
    public double MappingLearningRate { get; init; } = 1e-4;
    public double FinalLearningRateFraction { get; init; } = 0.05;
    public ulong Seed { get; init; } = 1;

    /// <summary>The cosine factor (1 → <see cref="FinalLearningRateFraction"/>) both learning rates follow.</summary>
    public double ScheduleAt(int step) => CosineSchedule.At(step / (double)Steps, 1, FinalLearningRateFraction);

    public void Validate()
    {
        if (Steps < 1 || Batch < 1 || !(LearningRate > 0) || !(MappingLearningRate > 0))
            throw new ArgumentException("Steps, Batch and the learning rates must be positive");
        if (!(FinalLearningRateFraction > 0 && FinalLearningRateFraction <= 1))
            throw new ArgumentException($"FinalLearningRateFraction must lie in (0, 1], got {FinalLearningRateFraction}");
    }
}

/// <summary>
/// Stage three of the two-stage Shapes generator: the whole generator, mapping and synthesis, fine-tuned so that
/// G(z) draws the render of the scene z codes for (<see cref="SceneCode"/>), pixel MSE, random noise as sampling
/// uses, Adam (β 0.9, 0.99) with a cosine decay. Stage two can only regress w onto encoded renders, so samples near
/// a boundary between two scenes land between their w's and draw a blend; here the loss is in pixels, on exactly
/// the codes sampling draws, so the mapping learns to snap and the synthesis learns to draw what it is sent.
/// Batches come from (seed, step), so a resumed run continues exactly.
/// </summary>
public sealed class SceneDistillationTrainer : IDisposable
{
    private const ulong WorldSalt = 0xD157_1000_0000_0001;
    private readonly TorchSharp.Modules.Adam optimizer;
    private readonly TorchSharp.Modules.Adam mappingOptimizer;

    /// <param name="generator">The generator to fine-tune (owned by the trainer from here on).</param>
    public SceneDistillationTrainer(SceneDistillationOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        if (generator.Config.ZDim < SceneCode.Dimensions + 8)
            throw new ArgumentException($"the generator's z has {generator.Config.ZDim} dimensions; a scene code needs at least {SceneCode.Dimensions + 8}");
        Options = options;
        G = generator;
        G.train();
        foreach (var p in G.parameters())
            p.requires_grad = true;
        var mapping = G.Style.parameters().ToList();
        var synthesis = G.named_parameters().Where(p => !p.name.StartsWith("style.", StringComparison.Ordinal)).Select(p => p.parameter).ToList();
        // Two optimisers rather than two parameter groups: TorchSharp 0.107's Adam state did not survive a save and
        // load with two groups (the resume test caught it).
        optimizer = optim.Adam(synthesis, options.LearningRate, 0.9, 0.99);
        mappingOptimizer = optim.Adam(mapping, options.MappingLearningRate / generator.Config.LrMlp, 0.9, 0.99);
    }

    public SceneDistillationOptions Options { get; }
    public Generator G { get; }
    public int StepCount { get; private set; }

    /// <summary>Training runs the batch in one synthesis pass (a served generator slices CPU batches by default).</summary>
    public static StyleGan2Config WholeBatches(StyleGan2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config with { MaxCpuBatch = null };
    }

    /// <summary>One Adam step on the pixel MSE between G(code of each scene) and its render; returns the loss.</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(StyleGan2Trainer.StepSeed((long)Options.Seed, StepCount));
        var scenes = new ShapeSampler(unchecked((Options.Seed ^ WorldSalt) * 1_000_003UL + (ulong)StepCount)).SampleBatch(Options.Batch);
        var z = SceneCode.Encode(scenes, G.Config.ZDim, rng);
        var images = G.Synthesize(G.Map(z), new SynthesisOptions(NoiseMode.Random, rng));
        var loss = F.mse_loss(images, StyleGan2Trainer.RenderAt(scenes, G.Config.Size));
        double factor = Options.ScheduleAt(StepCount);
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = Options.LearningRate * factor;
        foreach (var group in mappingOptimizer.ParamGroups)
            group.LearningRate = Options.MappingLearningRate / G.Config.LrMlp * factor;
        optimizer.zero_grad();
        mappingOptimizer.zero_grad();
        loss.backward();
        optimizer.step();
        mappingOptimizer.step();
        StepCount++;
        return loss.item<float>();
    }

    public void Save(string directory)
    {
        TrainingCheckpoint.Save(directory, StateDicts.Of(G, "g."), optimizer, StepCount, Options);
        mappingOptimizer.save_state_dict(Path.Combine(directory, "mapping_optimizer.bin"));
    }

    public static SceneDistillationTrainer Resume(string directory, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<SceneDistillationOptions>(directory);
        Generator g;
        using (var weights = TrainingCheckpoint.ReadWeights(directory))
        using (var stage = StyleGan2Weights.FromTensors(StateDicts.Under(weights, "g.")))
            g = Generator.FromWeights(stage, WholeBatches);
        var trainer = new SceneDistillationTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options, g);
        try
        {
            TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
            trainer.mappingOptimizer.load_state_dict(Path.Combine(directory, "mapping_optimizer.bin"));
            trainer.StepCount = state.Step;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>G in rosinality names with a fresh <c>latent_avg</c>; step 0.</summary>
    public void Export(string path) =>
        MappingGanTrainer.WriteMapped(G, Options.Seed, StepCount, path, nameof(SceneDistillationTrainer), System.Text.Json.JsonSerializer.Serialize(Options));

    public void Dispose()
    {
        optimizer.Dispose();
        mappingOptimizer.Dispose();
        G.Dispose();
    }
}

/// <summary>
/// <see cref="SceneDistillationTrainer"/> as a <c>stylebridge train stylegan2-distill</c> run; validation reads 500
/// samples with the oracle (clean fraction, Fréchet distance), as the other generator runs do.
/// </summary>
public sealed class SceneDistillationRun(SceneDistillationTrainer trainer, string? oraclePath) : GeneratorSampleRun(oraclePath)
{
    public override string Name => "stylegan2-distill";
    public override int StepCount => trainer.StepCount;
    public override int TotalSteps => trainer.Options.Steps;
    public override int ItemsPerStep => trainer.Options.Batch;
    protected override Generator Sampled => trainer.G;

    public override IReadOnlyList<(string Name, double Value)> Step() => [("mse", trainer.Step())];

    public override void Save(string checkpointDirectory) => trainer.Save(checkpointDirectory);

    public override void Export(string path) => trainer.Export(path);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            trainer.Dispose();
        base.Dispose(disposing);
    }
}
