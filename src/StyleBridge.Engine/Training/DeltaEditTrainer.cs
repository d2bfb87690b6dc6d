using StyleBridge.Models.Editing;
using StyleBridge.Models.StyleGan2;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Training;

/// <summary>Settings of a DeltaEdit training run (spec §5.4; the reference's Adam lr 0.5 suits the 0.01 lr_mul layers).</summary>
public sealed record DeltaEditTrainerOptions(int Steps = 3000, int Batch = 64, ulong Seed = 1, double LearningRate = 0.5,
    double LambdaL2 = 1, double LambdaCos = 1, double ValidationFraction = 0.02, DeltaMapperConfig? Config = null);

/// <summary>
/// DeltaEdit trained data-free (spec §5.1–§5.4) on (w, CLIP image embedding) pairs of the generator: s = conv S of w,
/// a random partner j per sample, target Δs = s_j − s_i, condition ĉ_i ⊕ unit(ĉ_j − ĉ_i), loss MSE + (1 − cos).
/// Step t draws its batch and partners from (seed, t).
/// </summary>
public sealed class DeltaEditTrainer : IDisposable
{
    private readonly Tensor styles;
    private readonly Tensor embeddings;
    private readonly long trainCount;
    private readonly TorchSharp.Modules.Adam optimizer;

    public DeltaEditTrainer(DeltaEditTrainerOptions options, Generator generator, Tensor w, Tensor embeddings, IReadOnlyDictionary<string, Tensor>? resumeWeights = null)
    {
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var parts = new List<Tensor>();
            for (long start = 0; start < w.shape[0]; start += 1024)
                parts.Add(ConvStyles.Of(generator, w.narrow(0, start, Math.Min(1024, w.shape[0] - start))));
            styles = cat(parts).DetachFromDisposeScope();
        }
        var config = options.Config ?? ConfigFor(generator.StyleSpace, (int)embeddings.shape[1]);
        Options = options with { Config = config };
        this.embeddings = embeddings;
        long n = w.shape[0];
        trainCount = Math.Max(1, n - (long)Math.Round(n * options.ValidationFraction));
        lock (InitLock)
        {
            manual_seed((long)options.Seed);
            Mapper = new DeltaMapper(config);
        }
        if (resumeWeights is not null)
            StateDicts.LoadInto(Mapper, resumeWeights);
        Mapper.train();
        optimizer = optim.Adam(Mapper.parameters(), options.LearningRate);
    }

    private static readonly object InitLock = new();

    public DeltaEditTrainerOptions Options { get; }
    public DeltaMapper Mapper { get; }
    public int StepCount { get; private set; }

    /// <summary>
    /// The group split for a new generator: coarse = the first three conv layers (as the reference), medium = the
    /// following conv layers up to 32² of the same width as the first of them, fine = the rest, flat.
    /// </summary>
    public static DeltaMapperConfig ConfigFor(StyleSpace space, int clipDim)
    {
        var conv = space.ConvLayers;
        if (conv.Count < 5 || conv.Take(3).Select(l => l.Channels).Distinct().Count() != 1)
            throw new ArgumentException("DeltaEdit needs at least five conv layers, the first three of one width");
        int mediumWidth = conv[3].Channels;
        int medium = conv.Skip(3).TakeWhile(l => l.Resolution <= 32 && l.Channels == mediumWidth).Count();
        if (3 + medium >= conv.Count)
            medium = conv.Count - 4;
        int fine = conv.Skip(3 + medium).Sum(l => l.Channels);
        return new DeltaMapperConfig(3, conv[0].Channels, medium, mediumWidth, fine, 2 * clipDim);
    }

    public double Step()
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(Options.Seed * 1_000_003UL + (ulong)StepCount);
        var i = randint(0, trainCount, [Options.Batch], generator: rng);
        var j = randint(0, trainCount, [Options.Batch], generator: rng);
        var loss = Loss(i, j);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        StepCount++;
        return loss.item<float>();
    }

    public double Validate()
    {
        long n = styles.shape[0];
        if (n - trainCount < 2)
            return double.NaN;
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        using var rng = new RandomGenerator(0xDE17_A0UL);
        var i = arange(trainCount, n, dtype: ScalarType.Int64);
        var j = randint(trainCount, n, [i.shape[0]], generator: rng);
        return Loss(i, j).item<float>();
    }

    private Tensor Loss(Tensor i, Tensor j)
    {
        var si = styles.index_select(0, i);
        var target = styles.index_select(0, j).sub(si);
        var condition = DeltaEditing.TrainingCondition(embeddings.index_select(0, i), embeddings.index_select(0, j));
        return DeltaMapper.Loss(Mapper.Forward(si, condition), target, Options.LambdaL2, Options.LambdaCos);
    }

    public void Save(string directory) => TrainingCheckpoint.Save(directory, Mapper, optimizer, StepCount, Options);

    public static DeltaEditTrainer Resume(string directory, Generator generator, Tensor w, Tensor embeddings, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<DeltaEditTrainerOptions>(directory);
        using var weights = TrainingCheckpoint.ReadWeights(directory);
        var trainer = new DeltaEditTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options, generator, w, embeddings, weights);
        TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
        trainer.StepCount = state.Step;
        return trainer;
    }

    public void Export(string path) => StyleBridge.Torch.Serialization.SafeTensors.Save(path, StateDicts.Of(Mapper));

    public void Dispose()
    {
        optimizer.Dispose();
        Mapper.Dispose();
        styles.Dispose();
    }
}

/// <summary><see cref="DeltaEditTrainer"/> as a <c>stylebridge train deltaedit</c> run.</summary>
public sealed class DeltaEditTrainingRun(DeltaEditTrainer trainer) : ITrainingRun
{
    public string Name => "deltaedit";
    public int StepCount => trainer.StepCount;
    public int TotalSteps => trainer.Options.Steps;
    public int ItemsPerStep => trainer.Options.Batch;
    public IReadOnlyList<(string Name, double Value)> Step() => [("loss", trainer.Step())];
    public IReadOnlyList<(string Name, double Value)> Validate() => [("val_loss", trainer.Validate())];
    public void Save(string checkpointDirectory) => trainer.Save(checkpointDirectory);
    public void Export(string path) => trainer.Export(path);
    public void Dispose() => trainer.Dispose();
}
