using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Training;

/// <summary>
/// A training run whose product is a Shapes generator: validation reads 500 of its samples with the attribute oracle
/// (clean fraction, Fréchet distance to renders); skipped without an oracle file or at another size than the world's.
/// </summary>
public abstract class GeneratorSampleRun(string? oraclePath) : ITrainingRun
{
    private readonly AttributeOracle? oracle = oraclePath is not null && File.Exists(oraclePath) ? OracleTrainer.Load(oraclePath) : null;

    public abstract string Name { get; }
    public abstract int StepCount { get; }
    public abstract int TotalSteps { get; }
    public abstract int ItemsPerStep { get; }

    /// <summary>The generator whose samples validation reads.</summary>
    protected abstract Generator Sampled { get; }

    public abstract IReadOnlyList<(string Name, double Value)> Step();

    public IReadOnlyList<(string Name, double Value)> Validate()
    {
        if (oracle is null || Sampled.Config.Size != StyleGan2TrainerOptions.WorldSize)
            return [];
        var report = GeneratorEvaluation.Evaluate(Sampled, oracle, 500, 0x7A11_0000_0000_0001);
        return [("clean", report.CleanFraction), ("fd", report.FrechetDistance)];
    }

    public abstract void Save(string checkpointDirectory);

    public abstract void Export(string path);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Subclasses dispose their trainer here, then call the base.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
            oracle?.Dispose();
    }
}
