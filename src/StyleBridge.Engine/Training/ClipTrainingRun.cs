using StyleBridge.Engine.World;
using StyleBridge.Models.Clip;

namespace StyleBridge.Engine.Training;

/// <summary><see cref="ClipTrainer"/> as a <c>stylebridge train clip</c> run; validation on 512 fixed fresh renders.</summary>
public sealed class ClipTrainingRun(ClipTrainer trainer, ClipTokenizer tokenizer) : ITrainingRun
{
    public const ulong ValidationSeed = 0xC11F_0000_0000_0001;
    private readonly ShapeScene[] validation = new ShapeSampler(ValidationSeed).SampleBatch(512);

    public ClipTrainer Trainer => trainer;
    public string Name => "clip";
    public int StepCount => trainer.StepCount;
    public int TotalSteps => trainer.Options.Steps;
    public int ItemsPerStep => trainer.Options.Batch;

    public IReadOnlyList<(string Name, double Value)> Step()
    {
        var r = trainer.Step();
        return [("loss", r.Loss), ("acc", r.Accuracy), ("lr", r.LearningRate), ("T⁻¹", r.Temperature)];
    }

    public IReadOnlyList<(string Name, double Value)> Validate()
    {
        trainer.Model.eval();
        try
        {
            var zeroShot = ClipEvaluation.ZeroShot(trainer.Model, tokenizer, validation);
            var metrics = zeroShot.Select(z => ("zs_" + z.Attribute.ToString().ToLowerInvariant(), z.Accuracy)).ToList();
            metrics.Add(("R@1", ClipEvaluation.RetrievalAt1(trainer.Model, tokenizer, validation)));
            return metrics;
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
