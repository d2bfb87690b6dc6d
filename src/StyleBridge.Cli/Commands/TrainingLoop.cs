using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using StyleBridge.Engine.Training;

namespace StyleBridge.Cli.Commands;

/// <summary>
/// Runs an <see cref="ITrainingRun"/> to its last step: a live progress bar on a terminal (plain lines when the
/// output is redirected), a checkpoint every <c>checkpointEvery</c> steps and at the end (written beside, then moved
/// into place), validation at intervals, then the export and a final report.
/// </summary>
internal static class TrainingLoop
{
    public static IReadOnlyList<(string Name, double Value)> Run(ITrainingRun run, string checkpoint, string export,
        int checkpointEvery, int validateEvery, TextWriter log, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        int startStep = run.StepCount;
        IReadOnlyList<(string, double)> last = [];

        void Checkpoint()
        {
            string temp = checkpoint + ".writing";
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
            run.Save(temp);
            if (Directory.Exists(checkpoint))
                Directory.Delete(checkpoint, recursive: true);
            Directory.Move(temp, checkpoint);
        }

        string Rate(int done) => (done * run.ItemsPerStep / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)).ToString("F1", CultureInfo.InvariantCulture);
        TimeSpan Left(int done) => done == 0 ? TimeSpan.Zero : clock.Elapsed / done * (run.TotalSteps - run.StepCount);

        void OneStep(Action<string> report)
        {
            last = run.Step();
            int done = run.StepCount - startStep;
            report($"step {run.StepCount}/{run.TotalSteps}  {Format(last)}  {Rate(done)} images/s  left {Left(done):hh\\:mm\\:ss}");
            if (run.StepCount % checkpointEvery == 0)
                Checkpoint();
            if (validateEvery > 0 && run.StepCount % validateEvery == 0)
                report($"validation at step {run.StepCount}: {Format(run.Validate())}");
        }

        if (Console.IsOutputRedirected || !ReferenceEquals(log, Console.Out))
        {
            while (run.StepCount < run.TotalSteps && !cancel.IsCancellationRequested)
                OneStep(line => { if (run.StepCount % 10 == 0 || line.StartsWith("validation", StringComparison.Ordinal)) log.WriteLine(line); });
        }
        else
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(run.Name, maxValue: run.TotalSteps);
                    task.Value = run.StepCount;
                    while (run.StepCount < run.TotalSteps && !cancel.IsCancellationRequested)
                    {
                        OneStep(line =>
                        {
                            if (line.StartsWith("validation", StringComparison.Ordinal))
                                AnsiConsole.MarkupLine(Markup.Escape(line));
                            else
                                task.Description = Markup.Escape($"{run.Name} {line}");
                        });
                        task.Value = run.StepCount;
                    }
                });
        }

        Checkpoint();
        var final = run.Validate();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(export))!);
        run.Export(export);
        log.WriteLine($"{run.Name}: {run.StepCount} steps, {clock.Elapsed:hh\\:mm\\:ss} this session, last step {Format(last)}");
        log.WriteLine($"{run.Name} final validation: {Format(final)}");
        log.WriteLine($"{run.Name} weights: {export}");
        return final;
    }

    public static string Format(IEnumerable<(string Name, double Value)> metrics) =>
        string.Join("  ", metrics.Select(m => $"{m.Name} {m.Value.ToString("G4", CultureInfo.InvariantCulture)}"));
}
