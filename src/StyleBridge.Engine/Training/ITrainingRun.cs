namespace StyleBridge.Engine.Training;

/// <summary>One resumable training run as the <c>stylebridge train</c> commands drive it.</summary>
public interface ITrainingRun : IDisposable
{
    string Name { get; }
    int StepCount { get; }
    int TotalSteps { get; }

    /// <summary>Images (or pairs) one step consumes, for the images/s figure.</summary>
    int ItemsPerStep { get; }

    /// <summary>One optimiser step; named metrics for the progress line (loss first).</summary>
    IReadOnlyList<(string Name, double Value)> Step();

    /// <summary>Held-out measurement at intervals and at the end (accuracies, for example).</summary>
    IReadOnlyList<(string Name, double Value)> Validate();

    void Save(string checkpointDirectory);

    /// <summary>Writes the final weights (what <c>weights/shapes/</c> ships).</summary>
    void Export(string path);
}
