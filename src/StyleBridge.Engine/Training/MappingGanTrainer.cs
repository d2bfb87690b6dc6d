using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;
using Parameter = TorchSharp.Modules.Parameter;

namespace StyleBridge.Engine.Training;

/// <param name="BankSize">Renders encoded once into the real w's the discriminator sees.</param>
/// <param name="MappingLearningRate">
/// Adam step relative to the mapping weights' scale: the optimiser gets this / lr_mul, because the stored weights are
/// randn / lr_mul (rosinality's equalised learning rate with lr_mul 0.01 would otherwise move them 100× slower).
/// </param>
/// <param name="EmaDecay">Per-step decay of the mapping network's EMA, which is what the export keeps.</param>
public sealed record MappingGanOptions
{
    public int Steps { get; init; } = 6000;
    public int Batch { get; init; } = 256;
    public int BankSize { get; init; } = 20_000;
    public double MappingLearningRate { get; init; } = 1e-3;
    public double DLearningRate { get; init; } = 1e-3;
    public double R1Gamma { get; init; } = 1;
    public int Hidden { get; init; } = 256;
    public int Depth { get; init; } = 3;
    public double EmaDecay { get; init; } = 0.998;

    /// <summary>
    /// Weight of the sliced Wasserstein distance (squared, <see cref="Projections"/> random directions per step)
    /// between the mapped batch and the real batch, added to the mapping's loss: it covers every mode of the w
    /// distribution, which the adversarial loss alone may drop. 0 turns it off.
    /// </summary>
    public double SlicedWeight { get; init; } = 2;

    public int Projections { get; init; } = 128;
    public ulong Seed { get; init; } = 1;

    public void Validate()
    {
        if (Steps < 1 || Batch < 1 || BankSize < 1 || Hidden < 1 || Depth < 1 || Projections < 1 || SlicedWeight < 0 || double.IsNaN(SlicedWeight))
            throw new ArgumentException("Steps, Batch, BankSize, Hidden and Depth must be positive");
        if (!(MappingLearningRate > 0) || !(DLearningRate > 0) || R1Gamma < 0 || double.IsNaN(R1Gamma) || !(EmaDecay >= 0 && EmaDecay < 1))
            throw new ArgumentException("the learning rates must be positive, R1Gamma non-negative and EmaDecay in [0, 1)");
    }
}

/// <summary>
/// Stage two of the two-stage Shapes generator: the mapping network of a generator whose synthesis network was
/// trained as an autoencoder's decoder (<see cref="StyleGan2AutoencoderTrainer"/>) learns, adversarially, to turn
/// z ~ N(0, I) into the w's the encoder gives renders. A <see cref="LatentDiscriminator"/> tells encoded renders
/// from mapped z's: non-saturating logistic loss, R1 on the real w's every step, Adam β (0, 0.99), plus a sliced
/// Wasserstein term that keeps every mode of the real w's covered; the mapping
/// restarts from the run's seed and its EMA is exported with the synthesis network unchanged.
/// </summary>
public sealed class MappingGanTrainer : IGeneratorStageTrainer
{
    private const ulong BankSalt = 0x3A99_1000_0000_0001;
    private readonly TorchSharp.Modules.Adam gOptim;
    private readonly TorchSharp.Modules.Adam dOptim;
    private readonly List<Parameter> mapping;
    private readonly List<Parameter> dParameters;
    private readonly List<(Parameter Ema, Parameter Source)> emaPairs;

    /// <param name="generator">The stage-one generator (owned by the trainer from here on).</param>
    /// <param name="bank">Real w's [N, W] (owned by the trainer from here on); see <see cref="EncodeBank"/>.</param>
    public MappingGanTrainer(MappingGanOptions options, Generator generator, Tensor bank, bool resetMapping = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(bank);
        options.Validate();
        if (bank.dim() != 2 || bank.size(1) != generator.Config.StyleDim || bank.dtype != ScalarType.Float32)
            throw new ArgumentException($"the bank must be float32 [N, {generator.Config.StyleDim}], got {bank.dtype} {TensorBytes.Format(bank.shape)}");
        Options = options;
        G = generator;
        Bank = bank;
        var config = generator.Config;
        lock (StyleGan2Trainer.InitLock)
        {
            manual_seed((long)options.Seed);
            D = new LatentDiscriminator(config.StyleDim, options.Hidden, options.Depth);
            if (resetMapping)
            {
                using var fresh = new MappingNetwork(config.ZDim, config.StyleDim, config.NMlp, config.LrMlp);
                StateDicts.LoadInto(G.Style, StateDicts.Of(fresh).ToDictionary(e => e.Key, e => e.Value));
            }
        }

        GEma = new Generator(config);
        StateDicts.LoadInto(GEma, StateDicts.Of(G).ToDictionary(e => e.Key, e => e.Value));
        GEma.Freeze();
        foreach (var (name, p) in G.named_parameters())
            p.requires_grad = name.StartsWith("style.", StringComparison.Ordinal);
        mapping = [.. G.Style.parameters()];
        dParameters = [.. D.parameters()];
        gOptim = optim.Adam(mapping, options.MappingLearningRate / config.LrMlp, 0, 0.99);
        dOptim = optim.Adam(dParameters, options.DLearningRate, 0, 0.99);
        var source = G.Style.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        emaPairs = [.. GEma.Style.named_parameters().Select(p => (p.parameter, source[p.name]))];
    }

    public MappingGanOptions Options { get; }
    public Generator G { get; }

    /// <summary>G with the EMA of the mapping network: what <see cref="Export"/> writes.</summary>
    public Generator GEma { get; }

    public LatentDiscriminator D { get; }
    public Tensor Bank { get; }
    public int StepCount { get; private set; }

    int IGeneratorStageTrainer.TotalSteps => Options.Steps;
    int IGeneratorStageTrainer.Batch => Options.Batch;
    Generator IGeneratorStageTrainer.Sampled => GEma;

    /// <summary>The encoder's w's of <paramref name="count"/> fresh renders drawn from <paramref name="seed"/>, [count, W].</summary>
    public static Tensor EncodeBank(LatentEncoder encoder, int count, ulong seed) =>
        Encode(encoder, new ShapeSampler(unchecked(seed ^ BankSalt)).SampleBatch(count));

    /// <summary>The encoder's w's of the renders of <paramref name="scenes"/>, [N, W], 250 at a time.</summary>
    public static Tensor Encode(LatentEncoder encoder, IReadOnlyList<ShapeScene> scenes)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(scenes);
        var parts = new List<Tensor>();
        try
        {
            for (int done = 0; done < scenes.Count; done += 250)
            {
                using var scope = NewDisposeScope();
                using var mode = inference_mode();
                var images = StyleGan2Trainer.RenderAt([.. scenes.Skip(done).Take(250)], encoder.Size);
                parts.Add(encoder.Forward(images).clone().MoveToOuterDisposeScope());
            }

            return cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts)
                p.Dispose();
        }
    }

    /// <summary>One D step (logistic loss, R1 on the reals) and one mapping step (non-saturating loss), then the EMA.</summary>
    public (double DLoss, double GLoss, double R1) Step() => Step(out _);

    /// <summary>As <see cref="Step()"/>; <paramref name="sliced"/> is the step's sliced Wasserstein term (NaN when off).</summary>
    public (double DLoss, double GLoss, double R1) Step(out double sliced)
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(StyleGan2Trainer.StepSeed((long)Options.Seed, StepCount));
        var index = randint(0, Bank.size(0), new long[] { Options.Batch }, ScalarType.Int64, generator: rng);
        var real = Bank.index_select(0, index).requires_grad_(true);
        var z = randn(new long[] { Options.Batch, G.Config.ZDim }, generator: rng);

        Tensor fake;
        using (no_grad())
            fake = G.Map(z);
        var realPred = D.Forward(real);
        var logistic = LogisticGan.DiscriminatorLoss(realPred, D.Forward(fake));
        var penalty = LogisticGan.R1Penalty(realPred, real);
        dOptim.zero_grad();
        logistic.add(penalty.mul(Options.R1Gamma / 2)).backward();
        dOptim.step();

        StyleGan2Trainer.SetRequiresGrad(dParameters, false);
        Tensor gLoss;
        sliced = double.NaN;
        try
        {
            var mapped = G.Map(z);
            gLoss = LogisticGan.GeneratorLoss(D.Forward(mapped));
            var total = gLoss;
            if (Options.SlicedWeight > 0)
            {
                var distance = SlicedWasserstein(mapped, real.detach(), Options.Projections, rng);
                sliced = distance.item<float>();
                total = total.add(distance.mul(Options.SlicedWeight));
            }

            gOptim.zero_grad();
            total.backward();
            gOptim.step();
        }
        finally
        {
            StyleGan2Trainer.SetRequiresGrad(dParameters, true);
        }

        StyleGan2Trainer.Accumulate(emaPairs, Options.EmaDecay);
        StepCount++;
        return (logistic.item<float>(), gLoss.item<float>(), penalty.item<float>());
    }

    /// <summary>
    /// Squared sliced Wasserstein-2 distance between two equally large batches [N, W]: the mean over random unit
    /// directions of the mean squared difference of the sorted projections.
    /// </summary>
    public static Tensor SlicedWasserstein(Tensor a, Tensor b, int projections, RandomGenerator rng)
    {
        if (a.dim() != 2 || !a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"expected two batches of the same shape [N, W], got {TensorBytes.Format(a.shape)} and {TensorBytes.Format(b.shape)}");
        using var scope = NewDisposeScope();
        var directions = randn(new long[] { a.size(1), projections }, generator: rng);
        directions = directions.div(directions.norm(0, keepdim: true));
        var pa = a.matmul(directions).sort(0).Values;
        var pb = b.matmul(directions).sort(0).Values;
        return pa.sub(pb).square().mean().MoveToOuterDisposeScope();
    }

    // ---- checkpoints and export ----

    public void Save(string directory)
    {
        var weights = StateDicts.Of(G, "g.")
            .Concat(StateDicts.Of(GEma.Style, "ema."))
            .Concat(StateDicts.Of(D, "d."))
            .Append(new KeyValuePair<string, Tensor>("bank", Bank))
            .ToList();
        TrainingCheckpoint.Save(directory, weights, gOptim, StepCount, Options);
        dOptim.save_state_dict(Path.Combine(directory, "d_optimizer.bin"));
    }

    public static MappingGanTrainer Resume(string directory, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<MappingGanOptions>(directory);
        using var weights = TrainingCheckpoint.ReadWeights(directory);
        Generator g;
        using (var stage = StyleGan2Weights.FromTensors(StateDicts.Under(weights, "g.")))
            g = Generator.FromWeights(stage);
        var trainer = new MappingGanTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options, g,
            weights["bank"].clone(), resetMapping: false);
        try
        {
            StateDicts.LoadInto(trainer.GEma.Style, StateDicts.Under(weights, "ema."));
            StateDicts.LoadInto(trainer.D, StateDicts.Under(weights, "d."));
            TrainingCheckpoint.LoadOptimizer(directory, trainer.gOptim);
            trainer.dOptim.load_state_dict(Path.Combine(directory, "d_optimizer.bin"));
            trainer.StepCount = state.Step;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>G_ema (mapping EMA, stage-one synthesis) in rosinality names with <c>latent_avg</c>; step 0, for <c>train stylegan2 --init</c>.</summary>
    public void Export(string path) =>
        WriteMapped(GEma, Options.Seed, StepCount, path, nameof(MappingGanTrainer), System.Text.Json.JsonSerializer.Serialize(Options));

    /// <summary>
    /// A generator whose mapping a stage-two trainer made, in rosinality names with <c>latent_avg</c> (the mean of
    /// 4096 mapped z's, or <paramref name="keptAverage"/> when the mapping is the source's own): step "0", so
    /// <c>train stylegan2 --init</c> can start from it.
    /// </summary>
    internal static void WriteMapped(Generator generator, ulong seed, int steps, string path, string producer, string options, Tensor? keptAverage = null,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(StyleGan2Trainer.StepSeed(~(long)seed, steps));
        Tensor average;
        using (no_grad())
            average = keptAverage ?? generator.MeanLatent(4096, rng);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "rosinality",
            ["producer"] = producer,
            ["step"] = "0",
            ["mapping_steps"] = steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["options"] = options,
        };
        foreach (var (key, value) in extraMetadata ?? new Dictionary<string, string>())
            metadata[key] = value;
        StyleGan2Trainer.WriteGenerator(generator, average, path, metadata);
    }

    public void Dispose()
    {
        gOptim.Dispose();
        dOptim.Dispose();
        G.Dispose();
        GEma.Dispose();
        D.Dispose();
        Bank.Dispose();
    }
}

/// <summary>
/// <see cref="MappingGanTrainer"/> as a <c>stylebridge train stylegan2-mapping</c> run; validation reads 500 samples
/// of the EMA generator with the oracle (clean fraction, Fréchet distance), as the StyleGAN2 run does.
/// </summary>
public sealed class MappingGanRun(MappingGanTrainer trainer, string? oraclePath) : GeneratorSampleRun<MappingGanTrainer>(trainer, oraclePath)
{
    public override string Name => "stylegan2-mapping";

    public override IReadOnlyList<(string Name, double Value)> Step()
    {
        var (d, g, r1) = Trainer.Step(out double sliced);
        return double.IsNaN(sliced) ? [("d", d), ("g", g), ("r1", r1)] : [("d", d), ("g", g), ("sw", sliced), ("r1", r1)];
    }
}
