using System.Text.Json;
using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;

namespace StyleBridge.Engine.Training;

/// <summary>
/// <see cref="StyleGan2Trainer"/> as a <c>stylebridge train stylegan2</c> run. Validation reads 500 samples of G_ema
/// with the attribute oracle (clean-object fraction, Fréchet distance to renders) when an oracle file is given.
/// </summary>
public sealed class StyleGan2TrainingRun(StyleGan2Trainer trainer, int totalSteps, string? oraclePath) : ITrainingRun
{
    private const string TrainerFile = "trainer.bin";
    private const string RunFile = "run.json";
    private readonly AttributeOracle? oracle = oraclePath is not null && File.Exists(oraclePath) ? OracleTrainer.Load(oraclePath) : null;

    public string Name => "stylegan2";
    public int StepCount => (int)trainer.StepCount;
    public int TotalSteps => totalSteps;
    public int ItemsPerStep => trainer.Options.Batch;

    public IReadOnlyList<(string Name, double Value)> Step()
    {
        var r = trainer.Step();
        var metrics = new List<(string, double)> { ("d", r.DLoss), ("g", r.GLoss) };
        if (r.R1 is { } r1)
            metrics.Add(("r1", r1));
        return metrics;
    }

    public IReadOnlyList<(string Name, double Value)> Validate()
    {
        if (oracle is null)
            return [];
        var report = GeneratorEvaluation.Evaluate(trainer.GEma, oracle, 500, 0x7A11_0000_0000_0001);
        return [("clean", report.CleanFraction), ("fd", report.FrechetDistance), ("fd_floor", report.RenderFrechetDistance)];
    }

    public void Save(string checkpointDirectory)
    {
        Directory.CreateDirectory(checkpointDirectory);
        trainer.Save(Path.Combine(checkpointDirectory, TrainerFile));
        File.WriteAllText(Path.Combine(checkpointDirectory, RunFile), JsonSerializer.Serialize(new RunState(totalSteps)));
    }

    public static StyleGan2TrainingRun Resume(string checkpointDirectory, int? totalSteps, string? oraclePath)
    {
        var state = JsonSerializer.Deserialize<RunState>(File.ReadAllText(Path.Combine(checkpointDirectory, RunFile)))
            ?? throw new InvalidDataException($"{checkpointDirectory}: unreadable {RunFile}");
        return new StyleGan2TrainingRun(StyleGan2Trainer.Resume(Path.Combine(checkpointDirectory, TrainerFile)), totalSteps ?? state.TotalSteps, oraclePath);
    }

    public void Export(string path) => trainer.ExportGenerator(path);

    public void Dispose()
    {
        oracle?.Dispose();
        trainer.Dispose();
    }

    private sealed record RunState(int TotalSteps);
}
