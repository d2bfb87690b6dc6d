using StyleBridge.Engine.World;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Engine.Training;

public sealed record OracleTrainerOptions(int Steps = 1200, int Batch = 64, double LearningRate = 1e-3, ulong Seed = 3);

/// <summary>
/// Trains the <see cref="AttributeOracle"/> on fresh renders with their true attributes: the sum of the five heads'
/// cross-entropies, Adam. Batches come from (seed, step), so a resumed run continues exactly where it stopped.
/// </summary>
public sealed class OracleTrainer : IDisposable
{
    private readonly TorchSharp.Modules.Adam optimizer;

    public OracleTrainer(OracleTrainerOptions options)
    {
        Options = options;
        manual_seed((long)options.Seed);
        Model = new AttributeOracle();
        Model.train();
        optimizer = optim.Adam(Model.parameters(), options.LearningRate);
    }

    public OracleTrainerOptions Options { get; }
    public AttributeOracle Model { get; }
    public int StepCount { get; private set; }

    public (double Loss, double Accuracy) Step()
    {
        var scenes = new ShapeSampler(Options.Seed * 1_000_003UL + (ulong)StepCount).SampleBatch(Options.Batch);
        using var scope = NewDisposeScope();
        var (_, logits) = Model.Forward(ShapeSampler.Render(scenes));
        Tensor loss = zeros(1);
        double correct = 0;
        for (int a = 0; a < logits.Length; a++)
        {
            var attribute = ShapeAttributes.Attributes[a];
            var labels = tensor(scenes.Select(s => (long)s.Attributes.ValueOf(attribute)).ToArray());
            loss = loss.add(F.cross_entropy(logits[a], labels));
            correct += logits[a].argmax(1).eq(labels).sum().item<long>();
        }
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        StepCount++;
        return (loss.item<float>(), correct / (scenes.Length * logits.Length));
    }

    /// <summary>Per-attribute accuracy on fresh renders.</summary>
    public static IReadOnlyList<(WorldAttribute Attribute, double Accuracy)> Accuracy(AttributeOracle oracle, IReadOnlyList<ShapeScene> scenes)
    {
        var right = new int[ShapeAttributes.Attributes.Count];
        for (int start = 0; start < scenes.Count; start += 256)
        {
            var batch = scenes.Skip(start).Take(256).ToList();
            using var images = ShapeSampler.Render(batch);
            var predicted = oracle.Predict(images);
            for (int i = 0; i < batch.Count; i++)
                for (int a = 0; a < right.Length; a++)
                    if (predicted[i, a] == batch[i].Attributes.ValueOf(ShapeAttributes.Attributes[a]))
                        right[a]++;
        }
        return ShapeAttributes.Attributes.Select((a, k) => (a, right[k] / (double)scenes.Count)).ToList();
    }

    public void Save(string directory) => TrainingCheckpoint.Save(directory, Model, optimizer, StepCount, Options);

    public static OracleTrainer Resume(string directory, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<OracleTrainerOptions>(directory);
        var trainer = new OracleTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options);
        using (var weights = TrainingCheckpoint.ReadWeights(directory))
            StateDicts.LoadInto(trainer.Model, weights);
        TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
        trainer.StepCount = state.Step;
        return trainer;
    }

    public void Export(string path) => SafeTensors.Save(path, StateDicts.Of(Model));

    /// <summary>An oracle with the weights of a file (eval mode, frozen).</summary>
    public static AttributeOracle Load(string path)
    {
        var oracle = new AttributeOracle();
        using (var weights = SafeTensors.Load(path))
            StateDicts.LoadInto(oracle, weights);
        oracle.Freeze();
        return oracle;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        Model.Dispose();
    }
}

/// <summary><see cref="OracleTrainer"/> as a <c>stylebridge train oracle</c> run; validation on 1000 fixed fresh renders.</summary>
public sealed class OracleTrainingRun(OracleTrainer trainer) : ITrainingRun
{
    private readonly ShapeScene[] validation = new ShapeSampler(0x0AC1_E000_0000_0001).SampleBatch(1000);

    public string Name => "oracle";
    public int StepCount => trainer.StepCount;
    public int TotalSteps => trainer.Options.Steps;
    public int ItemsPerStep => trainer.Options.Batch;

    public IReadOnlyList<(string Name, double Value)> Step()
    {
        var (loss, accuracy) = trainer.Step();
        return [("loss", loss), ("acc", accuracy)];
    }

    public IReadOnlyList<(string Name, double Value)> Validate()
    {
        trainer.Model.eval();
        try
        {
            return OracleTrainer.Accuracy(trainer.Model, validation).Select(a => ("acc_" + a.Attribute.ToString().ToLowerInvariant(), a.Accuracy)).ToList();
        }
        finally
        {
            trainer.Model.train();
        }
    }

    public void Save(string checkpointDirectory) => trainer.Save(checkpointDirectory);

    public void Export(string path) => trainer.Export(path);

    public void Dispose() => trainer.Dispose();
}
