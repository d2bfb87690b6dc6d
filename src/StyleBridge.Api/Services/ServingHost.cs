using Microsoft.Extensions.Options;
using StyleBridge.Engine.Generation;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Services;

/// <summary>
/// Starts the batching worker after a warm-up (every preferred batch size through generate and invert) and drains on
/// shutdown: readiness goes 503 at once, queued work may finish within the drain window, the rest is refused with
/// 503 <c>shutting_down</c>.
/// </summary>
public sealed class ServingHost(ModelHost models, InferenceQueue queue, BatchingWorker worker, JobStore jobs, IOptions<ServingOptions> options,
    ILogger<ServingHost> logger) : IHostedService
{
    private volatile bool ready;

    public bool IsReady => ready && worker.IsRunning && !queue.IsDraining;
    public double WarmupSeconds { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // warm-up runs on a background thread so the host (and /health/live) come up at once
        _ = Task.Run(() =>
        {
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                foreach (int size in options.Value.PreferredBatchSizes.Where(s => s > 0))
                {
                    using var scope = NewDisposeScope();
                    using var result = models.TextToImage.Generate(new GenerationRequest
                    {
                        Prompt = "warm up", NumImages = 1, NumCandidates = Math.Min(size, GenerationRequest.MaxCandidates),
                        Method = models.TextToImage.Prior is null ? GenerationMethod.Csla : GenerationMethod.Prior,
                    });
                }
                WarmupSeconds = clock.Elapsed.TotalSeconds;
                logger.LogInformation("models of {Set} loaded in {Load:F1} s, warmed up in {Warm:F1} s", models.Set.DisplayDirectory, models.LoadSeconds, WarmupSeconds);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                logger.LogWarning("warm-up skipped: {Message}", e.Message);
            }
            worker.Start();
            ready = true;
        }, cancellationToken);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.StartDraining();
        ready = false;
        var drain = TimeSpan.FromMilliseconds(options.Value.DrainTimeoutMs);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((!worker.IsIdle || jobs.Unfinished > 0) && clock.Elapsed < drain && !cancellationToken.IsCancellationRequested)
            await Task.Delay(50, CancellationToken.None);
        worker.Stop(TimeSpan.FromSeconds(5));
        logger.LogInformation("drained in {Seconds:F1} s", clock.Elapsed.TotalSeconds);
    }
}
