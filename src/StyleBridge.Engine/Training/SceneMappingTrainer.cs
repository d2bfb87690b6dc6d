using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;
using Parameter = TorchSharp.Modules.Parameter;

namespace StyleBridge.Engine.Training;

/// <param name="Scenes">Renders encoded once into the targets; each step draws a fresh code for each scene it uses.</param>
/// <param name="LearningRate">Adam step relative to the mapping weights' scale (see <see cref="MappingGanOptions.MappingLearningRate"/>).</param>
/// <param name="FinalLearningRateFraction">The learning rate at the last step, as a fraction of the first (cosine decay).</param>
public sealed record SceneMappingOptions
{
    public int Steps { get; init; } = 60_000;
    public int Batch { get; init; } = 256;
    public int Scenes { get; init; } = 50_000;

    /// <remarks>
    /// Measured on the Shapes generator with 8 layers (clean samples): 1e-3, 30 % after 60 000 steps; 5e-3, 62 % after
    /// 30 000; 1.5e-2, 82 % after 60 000. A boundary between two scenes is only as sharp as the mapping's weights are
    /// large, and Adam moves each weight by about this much (times 1 / lr_mul) per step.
    /// </remarks>
    public double LearningRate { get; init; } = 1.5e-2;
    public double FinalLearningRateFraction { get; init; } = 0.01;
    public ulong Seed { get; init; } = 1;

    /// <summary>Depth of the new mapping network (n_mlp; StyleGAN2's 8 by default); null keeps the stage-one generator's.</summary>
    public int? MappingLayers { get; init; } = 8;

    /// <summary>
    /// Length of the offset each shape adds to its scenes' targets (<see cref="SceneMappingTrainer.SeparateShapes"/>; 0:
    /// none). The encoder, trained on pixel error, puts a small square 0.6 from the small circle of the same scene
    /// (|w| ≈ 10, two draws of one scene lie 0.3 apart), too close for the drawing to tell them apart. The targets a
    /// trainer is given are used as they are: whoever encodes them applies it (the CLI does), and the options record it.
    /// </summary>
    public double ShapeSeparation { get; init; }

    public double LearningRateAt(int step) => CosineSchedule.At(step / (double)Steps, LearningRate, LearningRate * FinalLearningRateFraction);

    public void Validate()
    {
        if (Steps < 1 || Batch < 1 || Scenes < 1 || !(LearningRate > 0))
            throw new ArgumentException("Steps, Batch, Scenes and LearningRate must be positive");
        if (!(FinalLearningRateFraction > 0 && FinalLearningRateFraction <= 1))
            throw new ArgumentException($"FinalLearningRateFraction must lie in (0, 1], got {FinalLearningRateFraction}");
        if (MappingLayers is < 1)
            throw new ArgumentException($"MappingLayers must be positive, got {MappingLayers}");
        if (!(ShapeSeparation >= 0) || double.IsInfinity(ShapeSeparation))
            throw new ArgumentException($"ShapeSeparation must be finite and non-negative, got {ShapeSeparation}");
    }
}

/// <summary>
/// Stage two of the two-stage Shapes generator by regression instead of a GAN: the mapping network learns to send
/// each code z to the encoder's w of the render of the scene z stands for (<see cref="SceneCode"/>), mean squared
/// error in w, Adam with a cosine decay. The targets have exactly the encoded renders' distribution, every mode in
/// its share, because <see cref="SceneCode"/> gives each attribute value the same mass under N(0, I); what the
/// network cannot follow is the jump at a boundary between two scenes, where its w's blend. The synthesis network
/// stays as stage one left it.
/// </summary>
public sealed class SceneMappingTrainer : IGeneratorStageTrainer
{
    private const ulong SceneSalt = 0x5CE4_E000_0000_0001;
    private const ulong ShapeSalt = 0x5EA2_A7E0_0000_0001;
    private readonly TorchSharp.Modules.Adam optimizer;

    /// <param name="generator">The stage-one generator (owned by the trainer from here on).</param>
    /// <param name="targets">The encoder's w of each scene's render [N, W] (owned by the trainer from here on).</param>
    public SceneMappingTrainer(SceneMappingOptions options, Generator generator, IReadOnlyList<ShapeScene> scenes, Tensor targets, bool resetMapping = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(targets);
        options.Validate();
        if (targets.dim() != 2 || targets.size(0) != scenes.Count || targets.size(1) != generator.Config.StyleDim || targets.dtype != ScalarType.Float32)
            throw new ArgumentException($"the targets must be float32 [{scenes.Count}, {generator.Config.StyleDim}], got {targets.dtype} {TensorBytes.Format(targets.shape)}");
        if (generator.Config.ZDim < SceneCode.Dimensions + 8)
            throw new ArgumentException($"the generator's z has {generator.Config.ZDim} dimensions; a scene code needs at least {SceneCode.Dimensions + 8}");
        Options = options;
        G = resetMapping && options.MappingLayers is { } layers && layers != generator.Config.NMlp ? Deepen(generator, layers) : generator;
        SceneList = scenes;
        Targets = targets;
        var config = G.Config;
        if (resetMapping)
        {
            lock (StyleGan2Trainer.InitLock)
            {
                manual_seed((long)options.Seed);
                using var fresh = new MappingNetwork(config.ZDim, config.StyleDim, config.NMlp, config.LrMlp);
                StateDicts.LoadInto(G.Style, StateDicts.Of(fresh).ToDictionary(e => e.Key, e => e.Value));
            }
        }

        foreach (var (name, p) in G.named_parameters())
            p.requires_grad = name.StartsWith("style.", StringComparison.Ordinal);
        optimizer = optim.Adam([.. G.Style.parameters()], options.LearningRate / config.LrMlp, 0.9, 0.99);
    }

    /// <summary>A generator with <paramref name="layers"/> mapping layers and <paramref name="generator"/>'s synthesis (which it disposes).</summary>
    private static Generator Deepen(Generator generator, int layers)
    {
        using (generator)
        {
            var deeper = new Generator(generator.Config with { NMlp = layers });
            var synthesis = StateDicts.Of(generator).Where(e => !e.Key.StartsWith("style.", StringComparison.Ordinal));
            StateDicts.LoadInto(deeper, synthesis.Concat(StateDicts.Of(deeper.Style, "style.")).ToDictionary(e => e.Key, e => e.Value));
            return deeper;
        }
    }

    public SceneMappingOptions Options { get; }
    public Generator G { get; }
    public IReadOnlyList<ShapeScene> SceneList { get; }
    public Tensor Targets { get; }
    public int StepCount { get; private set; }

    int IGeneratorStageTrainer.TotalSteps => Options.Steps;
    int IGeneratorStageTrainer.Batch => Options.Batch;
    Generator IGeneratorStageTrainer.Sampled => G;

    /// <summary>The scenes of a run with <paramref name="options"/>: drawn from its seed, so a resumed run has them again.</summary>
    public static ShapeScene[] DrawScenes(SceneMappingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ShapeSampler(unchecked(options.Seed ^ SceneSalt)).SampleBatch(options.Scenes);
    }

    /// <summary>
    /// Targets from a trained mapping instead of an encoder: for each scene the mean of <paramref name="generator"/>'s
    /// w over <paramref name="draws"/> codes standing for it, [N, W]. A scene-coded generator's mapping already sends
    /// each scene where its encoder put the render, so its own w's let a run move shapes apart without the encoder.
    /// </summary>
    public static Tensor MapScenes(Generator generator, IReadOnlyList<ShapeScene> scenes, int draws, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        if (scenes.Count == 0)
            throw new ArgumentException("no scenes to map", nameof(scenes));
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var rng = new RandomGenerator(seed ^ SceneSalt);
        var parts = new List<Tensor>();
        for (int done = 0; done < scenes.Count; done += 1000)
        {
            var chunk = scenes.Skip(done).Take(1000).ToArray();
            var sum = zeros(chunk.Length, generator.Config.StyleDim);
            for (int d = 0; d < draws; d++)
                sum.add_(generator.Map(SceneCode.Encode(chunk, generator.Config.ZDim, rng)));
            parts.Add(sum.div_(draws));
        }

        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The targets with <paramref name="length"/> times one unit direction per shape added to each scene's target:
    /// three orthonormal directions drawn from <paramref name="seed"/>, so any two shapes' targets of an otherwise equal
    /// scene move √2·length further apart, and every other attribute keeps its place. Returns a new tensor.
    /// </summary>
    public static Tensor SeparateShapes(Tensor targets, IReadOnlyList<ShapeScene> scenes, double length, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(scenes);
        if (targets.dim() != 2 || targets.size(0) != scenes.Count || targets.dtype != ScalarType.Float32)
            throw new ArgumentException($"the targets must be float32 [{scenes.Count}, W], got {targets.dtype} {TensorBytes.Format(targets.shape)}");
        int shapes = Enum.GetValues<Shape>().Length;
        if (targets.size(1) < shapes)
            throw new ArgumentException($"a {targets.size(1)}-dimensional w cannot hold {shapes} orthonormal directions");
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(seed ^ ShapeSalt);
        var (q, _) = linalg.qr(randn([targets.size(1), shapes], generator: rng));
        var directions = q.t().mul(length); // [shapes, W], orthonormal rows
        var index = tensor(scenes.Select(s => (long)s.Shape).ToArray());
        return targets.add(directions.index_select(0, index)).MoveToOuterDisposeScope();
    }

    /// <summary>One Adam step on the mean squared error between G.Map(z) and the targets of the scenes z codes for.</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(StyleGan2Trainer.StepSeed((long)Options.Seed, StepCount));
        var index = randint(0, SceneList.Count, new long[] { Options.Batch }, ScalarType.Int64, generator: rng);
        var picked = index.data<long>().Select(i => SceneList[(int)i]).ToArray();
        var z = SceneCode.Encode(picked, G.Config.ZDim, rng);
        var loss = F.mse_loss(G.Map(z), Targets.index_select(0, index));
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = Options.LearningRateAt(StepCount) / G.Config.LrMlp;
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        StepCount++;
        return loss.item<float>();
    }

    public void Save(string directory)
    {
        var weights = StateDicts.Of(G, "g.").Append(new KeyValuePair<string, Tensor>("targets", Targets)).ToList();
        TrainingCheckpoint.Save(directory, weights, optimizer, StepCount, Options);
    }

    public static SceneMappingTrainer Resume(string directory, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<SceneMappingOptions>(directory);
        using var weights = TrainingCheckpoint.ReadWeights(directory);
        Generator g;
        using (var stage = StyleGan2Weights.FromTensors(StateDicts.Under(weights, "g.")))
            g = Generator.FromWeights(stage);
        var options = steps is { } s ? state.Options with { Steps = s } : state.Options;
        var trainer = new SceneMappingTrainer(options, g, DrawScenes(options), weights["targets"].clone(), resetMapping: false);
        try
        {
            TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
            trainer.StepCount = state.Step;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>G (trained mapping, stage-one synthesis) in rosinality names with <c>latent_avg</c>; step 0.</summary>
    public void Export(string path) =>
        MappingGanTrainer.WriteMapped(G, Options.Seed, StepCount, path, nameof(SceneMappingTrainer), System.Text.Json.JsonSerializer.Serialize(Options));

    public void Dispose()
    {
        optimizer.Dispose();
        G.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// <see cref="SceneMappingTrainer"/> as a <c>stylebridge train stylegan2-scene-mapping</c> run; validation reads 500
/// samples with the oracle (clean fraction, Fréchet distance), as the other generator runs do.
/// </summary>
public sealed class SceneMappingRun(SceneMappingTrainer trainer, string? oraclePath) : GeneratorSampleRun<SceneMappingTrainer>(trainer, oraclePath)
{
    public override string Name => "stylegan2-scene-mapping";

    public override IReadOnlyList<(string Name, double Value)> Step() => [("mse", Trainer.Step())];
}
