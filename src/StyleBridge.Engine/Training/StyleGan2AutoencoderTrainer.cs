using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Training;

/// <param name="Architecture">G's architecture (its batch, loss and regularisation settings are not used here).</param>
public sealed record StyleGan2AutoencoderOptions
{
    public int Steps { get; init; } = 3000;
    public int Batch { get; init; } = 32;
    public double LearningRate { get; init; } = 0.002;

    /// <summary>The learning rate at the last step, as a fraction of <see cref="LearningRate"/> (cosine decay; 1: constant).</summary>
    public double FinalLearningRateFraction { get; init; } = 1;

    public ulong Seed { get; init; } = 1;
    public StyleGan2TrainerOptions Architecture { get; init; } = new();

    /// <summary>The cosine schedule from <see cref="LearningRate"/> down to the final fraction over <see cref="Steps"/>.</summary>
    public double LearningRateAt(int step) => CosineSchedule.At(step / (double)Steps, LearningRate, LearningRate * FinalLearningRateFraction);

    public void Validate()
    {
        Architecture.Validate();
        if (Steps < 1 || Batch < 1 || !(LearningRate > 0))
            throw new ArgumentException("Steps, Batch and LearningRate must be positive");
        if (!(FinalLearningRateFraction > 0 && FinalLearningRateFraction <= 1))
            throw new ArgumentException($"FinalLearningRateFraction must lie in (0, 1], got {FinalLearningRateFraction}");
    }
}

/// <summary>
/// Stage one of the two-stage Shapes generator: the synthesis network of a StyleGAN2 <see cref="Generator"/> trained
/// as the decoder of an autoencoder on renders (images only, no labels): a <see cref="LatentEncoder"/> maps each
/// render to one w, the synthesis network draws it back (random noise, as sampling does), and both minimise the
/// pixel MSE with Adam (β 0.9, 0.99; optionally a cosine decay of the learning rate). The mapping network is not trained here: stage two
/// (<see cref="MappingGanTrainer"/>) trains it adversarially to produce the encoder's w distribution from z.
/// Batches come from (seed, step), so a resumed run continues exactly.
/// </summary>
public sealed class StyleGan2AutoencoderTrainer : IDisposable
{
    private const ulong WorldSalt = 0xAE00_5EED_0000_0001;
    private readonly TorchSharp.Modules.Adam optimizer;

    /// <param name="init">An exported generator to start the synthesis network from (its mapping is carried along, untrained).</param>
    public StyleGan2AutoencoderTrainer(StyleGan2AutoencoderOptions options, string? init = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var arch = options.Architecture;
        lock (StyleGan2Trainer.InitLock)
        {
            manual_seed((long)options.Seed);
            G = new Generator(arch.GeneratorConfig());
            E = new LatentEncoder(arch.Size, arch.Channels, arch.StyleDim);
        }

        if (init is not null)
        {
            using var weights = SafeTensors.Load(init);
            StateDicts.LoadInto(G, weights, ignore: ["latent_avg"]);
        }

        G.train();
        E.train();
        var trained = G.named_parameters().Where(p => !p.name.StartsWith("style.", StringComparison.Ordinal)).Select(p => p.parameter)
            .Concat(E.parameters()).ToList();
        optimizer = optim.Adam(trained, options.LearningRate, 0.9, 0.99);
    }

    public StyleGan2AutoencoderOptions Options { get; }
    public Generator G { get; }
    public LatentEncoder E { get; }
    public int StepCount { get; private set; }

    /// <summary>Fixed validation renders (seed independent of the run).</summary>
    public static ShapeScene[] ValidationScenes(int count = 256) => new ShapeSampler(0xAE00_0000_0000_0002).SampleBatch(count);

    /// <summary>One Adam step on the reconstruction MSE of a fresh batch of renders; returns the loss.</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(StyleGan2Trainer.StepSeed((long)Options.Seed, StepCount));
        var reals = Renders(new ShapeSampler(unchecked((Options.Seed ^ WorldSalt) * 1_000_003UL + (ulong)StepCount)).SampleBatch(Options.Batch));
        var images = G.Synthesize(E.Forward(reals), new SynthesisOptions(NoiseMode.Random, rng));
        var loss = F.mse_loss(images, reals);
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = Options.LearningRateAt(StepCount);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        StepCount++;
        return loss.item<float>();
    }

    /// <summary>Reconstructions of images [N, 3, size, size] (eval: no gradients), clamped to [-1, 1].</summary>
    public Tensor Reconstruct(Tensor images, RandomGenerator rng)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        return G.Synthesize(E.Forward(images), new SynthesisOptions(NoiseMode.Random, rng)).ClampScalar(-1, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Reconstruction PSNR (dB, on [0, 255]) and, with an oracle, the fraction whose five attributes it reads unchanged.</summary>
    public (double Psnr, double? Kept) Measure(IReadOnlyList<ShapeScene> scenes, AttributeOracle? oracle)
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(StyleGan2Trainer.StepSeed(~(long)Options.Seed, 0));
        var reals = Renders(scenes);
        var images = Reconstruct(reals, rng);
        double mse = images.sub(reals).square().mean().item<float>() * 127.5 * 127.5;
        double psnr = 10 * Math.Log10(255.0 * 255.0 / Math.Max(mse, 1e-12));
        if (oracle is null || Options.Architecture.Size != StyleGan2TrainerOptions.WorldSize)
            return (psnr, null);
        var read = oracle.Predict(images);
        int kept = 0;
        for (int i = 0; i < scenes.Count; i++)
        {
            bool all = true;
            for (int a = 0; a < ShapeAttributes.Attributes.Count; a++)
                all &= read[i, a] == scenes[i].Attributes.ValueOf(ShapeAttributes.Attributes[a]);
            kept += all ? 1 : 0;
        }

        return (psnr, kept / (double)scenes.Count);
    }

    private Tensor Renders(IReadOnlyList<ShapeScene> scenes) => StyleGan2Trainer.RenderAt(scenes, Options.Architecture.Size);

    // ---- checkpoints and export ----

    public void Save(string directory) =>
        TrainingCheckpoint.Save(directory, StateDicts.Of(G, "g.").Concat(StateDicts.Of(E, "e.")), optimizer, StepCount, Options);

    /// <summary>A run continued from <see cref="Save"/>'s checkpoint; a new step count or final learning rate recomputes the schedule.</summary>
    public static StyleGan2AutoencoderTrainer Resume(string directory, int? steps = null, double? finalLearningRateFraction = null)
    {
        var state = TrainingCheckpoint.ReadState<StyleGan2AutoencoderOptions>(directory);
        var options = state.Options with
        {
            Steps = steps ?? state.Options.Steps,
            FinalLearningRateFraction = finalLearningRateFraction ?? state.Options.FinalLearningRateFraction,
        };
        var trainer = new StyleGan2AutoencoderTrainer(options);
        try
        {
            using (var weights = TrainingCheckpoint.ReadWeights(directory))
            {
                StateDicts.LoadInto(trainer.G, StateDicts.Under(weights, "g."));
                StateDicts.LoadInto(trainer.E, StateDicts.Under(weights, "e."));
            }

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

    /// <summary>The encoder file written beside an exported generator.</summary>
    public static string EncoderPath(string generatorPath) => Path.ChangeExtension(generatorPath, ".encoder.safetensors");

    /// <summary>
    /// Writes G in rosinality names (its <c>latent_avg</c>: the mean encoding of the validation renders) to
    /// <paramref name="path"/> and the encoder to <see cref="EncoderPath"/>.
    /// </summary>
    public void Export(string path)
    {
        using var scope = NewDisposeScope();
        Tensor average;
        using (inference_mode())
            average = E.Forward(Renders(ValidationScenes())).mean([0]);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "rosinality",
            ["producer"] = nameof(StyleGan2AutoencoderTrainer),
            ["step"] = "0",
            ["autoencoder_steps"] = StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["options"] = System.Text.Json.JsonSerializer.Serialize(Options),
        };
        StyleGan2Trainer.WriteGenerator(G, average, path, metadata);
        SafeTensors.Save(EncoderPath(path), StateDicts.Of(E), new Dictionary<string, string>
        {
            ["producer"] = nameof(StyleGan2AutoencoderTrainer),
            ["size"] = Options.Architecture.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["style_dim"] = Options.Architecture.StyleDim.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["channels"] = System.Text.Json.JsonSerializer.Serialize(Options.Architecture.Channels),
        });
    }

    /// <summary>An encoder exported by <see cref="Export"/> (eval mode, frozen).</summary>
    public static LatentEncoder LoadEncoder(string path)
    {
        using var weights = SafeTensors.Load(path);
        int Read(string key) => weights.Metadata.TryGetValue(key, out var v)
            ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"{path}: no '{key}' in the metadata (not an encoder of stylebridge train stylegan2-autoencoder)");
        var channels = System.Text.Json.JsonSerializer.Deserialize<Dictionary<int, int>>(weights.Metadata.GetValueOrDefault("channels") ?? "null")
            ?? throw new InvalidDataException($"{path}: no channel table in the metadata");
        var encoder = new LatentEncoder(Read("size"), channels, Read("style_dim"));
        StateDicts.LoadInto(encoder, weights);
        encoder.Freeze();
        return encoder;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        G.Dispose();
        E.Dispose();
    }
}

/// <summary>
/// <see cref="StyleGan2AutoencoderTrainer"/> as a <c>stylebridge train stylegan2-autoencoder</c> run: validation is
/// the reconstruction PSNR of 256 fixed renders and, with the oracle, the fraction whose attributes survive.
/// </summary>
public sealed class StyleGan2AutoencoderRun(StyleGan2AutoencoderTrainer trainer, string? oraclePath) : ITrainingRun
{
    private readonly AttributeOracle? oracle = oraclePath is not null && File.Exists(oraclePath) ? OracleTrainer.Load(oraclePath) : null;
    private readonly ShapeScene[] validation = StyleGan2AutoencoderTrainer.ValidationScenes();

    public string Name => "stylegan2-autoencoder";
    public int StepCount => trainer.StepCount;
    public int TotalSteps => trainer.Options.Steps;
    public int ItemsPerStep => trainer.Options.Batch;

    public IReadOnlyList<(string Name, double Value)> Step() => [("mse", trainer.Step())];

    public IReadOnlyList<(string Name, double Value)> Validate()
    {
        var (psnr, kept) = trainer.Measure(validation, oracle);
        return kept is { } k ? [("psnr", psnr), ("kept", k)] : [("psnr", psnr)];
    }

    public void Save(string checkpointDirectory) => trainer.Save(checkpointDirectory);

    public void Export(string path) => trainer.Export(path);

    public void Dispose()
    {
        oracle?.Dispose();
        trainer.Dispose();
    }
}
