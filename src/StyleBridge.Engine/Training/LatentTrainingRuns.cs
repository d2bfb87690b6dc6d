namespace StyleBridge.Engine.Training;

/// <summary><see cref="PriorTrainer"/> as a <c>stylebridge train prior</c> run: validation is the EMA model's held-out x0 MSE.</summary>
public sealed class PriorTrainingRun(PriorTrainer trainer) : ITrainingRun
{
    public string Name => "prior";
    public int StepCount => trainer.StepCount;
    public int TotalSteps => trainer.Options.Steps;
    public int ItemsPerStep => trainer.Options.Batch;

    public IReadOnlyList<(string Name, double Value)> Step() => [("mse", trainer.Step())];

    public IReadOnlyList<(string Name, double Value)> Validate() => [("val_mse_ema", trainer.Validate())];

    public void Save(string checkpointDirectory) => trainer.Save(checkpointDirectory);

    public void Export(string path) => trainer.Export(path);

    public void Dispose() => trainer.Dispose();
}

/// <summary><see cref="CslaTrainer"/> as a <c>stylebridge train csla</c> run: validation is the held-out loss_w and loss_s.</summary>
public sealed class CslaTrainingRun(CslaTrainer trainer) : ITrainingRun
{
    public string Name => "csla";
    public int StepCount => trainer.StepCount;
    public int TotalSteps => trainer.Options.Steps;
    public int ItemsPerStep => trainer.Options.Batch;

    public IReadOnlyList<(string Name, double Value)> Step()
    {
        var (w, s) = trainer.Step();
        return [("loss_w", w), ("loss_s", s)];
    }

    public IReadOnlyList<(string Name, double Value)> Validate()
    {
        var (w, s) = trainer.Validate();
        return [("val_loss_w", w), ("val_loss_s", s)];
    }

    public void Save(string checkpointDirectory) => trainer.Save(checkpointDirectory);

    public void Export(string path) => trainer.Export(path);

    public void Dispose() => trainer.Dispose();
}
