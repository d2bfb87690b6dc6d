using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Training;

/// <summary>A trainer whose product is a Shapes generator, as <see cref="GeneratorSampleRun{TTrainer}"/> drives it.</summary>
public interface IGeneratorStageTrainer : IDisposable
{
    int StepCount { get; }
    int TotalSteps { get; }
    int Batch { get; }

    /// <summary>The generator whose samples validation reads (e.g. the EMA copy).</summary>
    Generator Sampled { get; }

    void Save(string directory);
    void Export(string path);
}

/// <summary>
/// A training run whose product is a Shapes generator: step counts, checkpoints and export are the trainer's;
/// validation reads 500 of its samples with the attribute oracle (clean fraction, Fréchet distance), skipped without
/// an oracle file or at another size than the world's. Subclasses name the run and its step's losses.
/// </summary>
public abstract class GeneratorSampleRun<TTrainer>(TTrainer trainer, string? oraclePath) : ITrainingRun
    where TTrainer : IGeneratorStageTrainer
{
    private readonly AttributeOracle? oracle = oraclePath is not null && File.Exists(oraclePath) ? OracleTrainer.Load(oraclePath) : null;

    protected TTrainer Trainer => trainer;

    public abstract string Name { get; }
    public int StepCount => trainer.StepCount;
    public int TotalSteps => trainer.TotalSteps;
    public int ItemsPerStep => trainer.Batch;

    public abstract IReadOnlyList<(string Name, double Value)> Step();

    public IReadOnlyList<(string Name, double Value)> Validate()
    {
        if (oracle is null || trainer.Sampled.Config.Size != StyleGan2TrainerOptions.WorldSize)
            return [];
        var report = GeneratorEvaluation.Evaluate(trainer.Sampled, oracle, 500, 0x7A11_0000_0000_0001);
        return [("clean", report.CleanFraction), ("fd", report.FrechetDistance)];
    }

    public void Save(string checkpointDirectory) => trainer.Save(checkpointDirectory);

    public void Export(string path) => trainer.Export(path);

    public void Dispose()
    {
        trainer.Dispose();
        oracle?.Dispose();
        GC.SuppressFinalize(this);
    }
}
