using StyleBridge.Models.Prior;
using StyleBridge.Torch.Serialization;
using Parameter = TorchSharp.Modules.Parameter;

namespace StyleBridge.Engine.Training;

/// <summary>Settings of a prior training run (clip2latent §5, sized for the Shapes world).</summary>
/// <param name="Depth">Transformer layers.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="DimHead">Per-head width.</param>
/// <param name="LearningRate">AdamW, constant.</param>
/// <param name="EmaBeta">EMA decay per step (the reference's 0.99999 assumes 10⁵–10⁶ steps).</param>
/// <param name="EmbedNoiseScale">Pseudo-text noise scale s of the condition augmentation.</param>
/// <param name="CondDropProb">Classifier-free-guidance drop-out of the condition.</param>
/// <param name="ValidationFraction">Tail of the data set held out for validation.</param>
/// <param name="LatentRepeats">W+ rows the sampled w is repeated to (the generator's n_latent).</param>
public sealed record PriorTrainerOptions(
    int Steps = 4000,
    int Batch = 256,
    ulong Seed = 1,
    int Depth = 4,
    int Heads = 4,
    int DimHead = 32,
    double LearningRate = 3e-4,
    double WeightDecay = 0.01,
    double EmaBeta = 0.995,
    double EmbedNoiseScale = 1.0,
    double CondDropProb = 0.2,
    int StatisticsSamples = 10_000,
    double ValidationFraction = 0.02,
    int LatentRepeats = 18);

/// <summary>
/// Trains a <see cref="LatentPrior"/> on (w, CLIP image embedding) pairs as clip2latent does: w z-scored with the
/// statistics of the first samples (unbiased std), the condition augmented by pseudo-text noise (direction noise of
/// scale s, original length kept), the condition dropped with probability 0.2 (key masking), t uniform in [0, T),
/// x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε, MSE on the x0 prediction, AdamW (β 0.9/0.999, eps 1e-6, weight decay only on
/// tensors of two or more dimensions), an EMA copy that is what gets exported. Step t draws everything from a
/// generator seeded by (seed, t), so a resumed run continues exactly.
/// </summary>
public sealed class PriorTrainer : IDisposable
{
    private readonly Tensor latents;
    private readonly Tensor embeddings;
    private readonly long trainCount;
    private readonly TorchSharp.Modules.AdamW optimizer;
    private readonly List<(Tensor Ema, Tensor Online)> emaPairs;

    public PriorTrainer(PriorTrainerOptions options, Tensor w, Tensor embeddings, IReadOnlyDictionary<string, Tensor>? resumeWeights = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(embeddings);
        if (w.dim() != 2 || embeddings.dim() != 2 || w.shape[0] != embeddings.shape[0])
            throw new ArgumentException($"expected w [N, D] and embeddings [N, D], got {TensorBytes.Format(w.shape)} and {TensorBytes.Format(embeddings.shape)}");
        if (w.shape[1] != embeddings.shape[1])
            throw new ArgumentException($"the prior needs the CLIP embedding width ({embeddings.shape[1]}) to equal the w width ({w.shape[1]}), as in the released model");
        Options = options;
        latents = w;
        this.embeddings = embeddings;
        long n = w.shape[0];
        trainCount = Math.Max(1, n - (long)Math.Round(n * options.ValidationFraction));
        var config = new PriorConfig((int)w.shape[1], options.Depth, options.Heads, options.DimHead, LatentRepeats: options.LatentRepeats);

        lock (InitLock)
        {
            manual_seed((long)options.Seed);
            Model = new LatentPrior(config);
            Ema = new LatentPrior(config);
        }

        if (resumeWeights is null)
        {
            using var scope = NewDisposeScope();
            var head = w[TensorIndex.Slice(0, Math.Min(options.StatisticsSamples, trainCount))];
            Model.SetLatentStatistics(head.mean([0]), head.std([0], unbiased: true));
            StateDicts.LoadInto(Ema, Model.state_dict());
        }
        else
        {
            StateDicts.LoadInto(Model, resumeWeights.Where(kv => !kv.Key.StartsWith("ema.", StringComparison.Ordinal)).ToDictionary());
            StateDicts.LoadInto(Ema, StateDicts.Under(resumeWeights, "ema."));
        }

        Ema.Freeze();
        Model.train();
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var p in Model.parameters())
            (p.dim() >= 2 ? decay : noDecay).Add(p);
        optimizer = optim.AdamW(
            [new TorchSharp.Modules.AdamW.ParamGroup(decay, new TorchSharp.Modules.AdamW.Options { LearningRate = options.LearningRate, weight_decay = options.WeightDecay }),
             new TorchSharp.Modules.AdamW.ParamGroup(noDecay, new TorchSharp.Modules.AdamW.Options { LearningRate = options.LearningRate, weight_decay = 0 })],
            options.LearningRate, 0.9, 0.999, 1e-6, options.WeightDecay);
        var online = Model.state_dict();
        emaPairs = [.. Ema.state_dict().Select(kv => (kv.Value, online[kv.Key]))];
    }

    private static readonly object InitLock = new();

    public PriorTrainerOptions Options { get; }
    public LatentPrior Model { get; }

    /// <summary>The exponential moving average of <see cref="Model"/>: what <see cref="Export"/> writes.</summary>
    public LatentPrior Ema { get; }

    public int StepCount { get; private set; }

    /// <summary>One AdamW step on a batch; returns the MSE on x0.</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(Options.Seed * 1_000_003UL + (ulong)StepCount);
        var index = randint(0, trainCount, [Options.Batch], generator: rng);
        var loss = Loss(Model, index, rng, Options.CondDropProb, augment: true);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        using (no_grad())
        {
            foreach (var (ema, online) in emaPairs)
                ema.lerp_(online, 1 - Options.EmaBeta);
        }
        StepCount++;
        return loss.item<float>();
    }

    /// <summary>The EMA model's x0 MSE on the held-out tail (fixed draws), condition kept, no augmentation.</summary>
    public double Validate()
    {
        long n = latents.shape[0];
        if (n - trainCount < 1)
            return double.NaN;
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        using var rng = new RandomGenerator(0xC11B_2_1A7EUL);
        var index = arange(trainCount, n, dtype: ScalarType.Int64);
        return Loss(Ema, index, rng, condDropProb: 0, augment: false).item<float>();
    }

    private Tensor Loss(LatentPrior prior, Tensor index, RandomGenerator rng, double condDropProb, bool augment)
    {
        long b = index.shape[0];
        var x0 = prior.Normalize(latents.index_select(0, index));
        var condition = embeddings.index_select(0, index);
        if (augment && Options.EmbedNoiseScale > 0)
            condition = PseudoTextNoise(condition, Options.EmbedNoiseScale, rng);
        var t = randint(0, prior.Config.NumTimesteps, [b], generator: rng);
        var eps = randn(x0.shape, generator: rng);
        var keep = rand([b], generator: rng).lt(1 - condDropProb);
        var ac = prior.AlphasCumprod.index_select(0, t).unsqueeze(1);
        var xt = ac.sqrt().mul(x0).add(ac.neg().add(1).sqrt().mul(eps));
        var prediction = prior.Net.Forward(xt, t, condition, keep);
        return F.mse_loss(prediction, x0);
    }

    /// <summary>clip2latent's condition augmentation: e' = ‖e‖ · normalize(e/‖e‖ + s·n/‖n‖), n ~ N(0, I).</summary>
    public static Tensor PseudoTextNoise(Tensor e, double scale, RandomGenerator rng)
    {
        using var scope = NewDisposeScope();
        var r = e.norm(1, true);
        var direction = e.div(r);
        var n = randn(e.shape, generator: rng);
        var y = direction.add(n.div(n.norm(1, true)).mul(scale));
        return y.div(y.norm(1, true)).mul(r).MoveToOuterDisposeScope();
    }

    public void Save(string directory)
    {
        var tensors = StateDicts.Of(Model).Concat(StateDicts.Of(Ema, "ema."));
        TrainingCheckpoint.Save(directory, tensors, optimizer, StepCount, Options);
    }

    public static PriorTrainer Resume(string directory, Tensor w, Tensor embeddings, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<PriorTrainerOptions>(directory);
        using var weights = TrainingCheckpoint.ReadWeights(directory);
        var trainer = new PriorTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options, w, embeddings, weights);
        TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
        trainer.StepCount = state.Step;
        return trainer;
    }

    /// <summary>The EMA prior in its own names (<c>net.*</c>, schedule, statistics) with <c>latent_repeats</c> in the metadata.</summary>
    public void Export(string path) => SafeTensors.Save(path, StateDicts.Of(Ema), new Dictionary<string, string>
    {
        ["latent_repeats"] = Options.LatentRepeats.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["format"] = "clip2latent LatentPrior (DALLE2-pytorch 0.2.38 names), EMA copy",
    });

    public void Dispose()
    {
        optimizer.Dispose();
        Model.Dispose();
        Ema.Dispose();
    }
}
