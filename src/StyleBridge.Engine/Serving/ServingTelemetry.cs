using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace StyleBridge.Engine.Serving;

/// <summary>The service's own spans and meters (api.md §4.9 names), exported by OpenTelemetry.</summary>
public sealed class ServingTelemetry : IDisposable
{
    public const string Name = "StyleBridge";

    public ServingTelemetry()
    {
        Meter = new Meter(Name, "1.0");
        Requests = Meter.CreateCounter<long>("inference_requests_total", description: "requests by endpoint, status code and cache result");
        RequestDuration = Meter.CreateHistogram<double>("inference_request_duration_seconds", "s", "end-to-end request time");
        QueueWait = Meter.CreateHistogram<double>("inference_queue_wait_seconds", "s", "time from enqueue to batch start");
        BatchExecution = Meter.CreateHistogram<double>("inference_batch_execution_seconds", "s", "batch run time");
        BatchSize = Meter.CreateHistogram<long>("inference_batch_size", "{item}", "items per batch");
        BatchFill = Meter.CreateHistogram<double>("inference_batch_fill_ratio", null, "batch size / max batch size");
        Batches = Meter.CreateCounter<long>("inference_batches_total", description: "batches run");
        Items = Meter.CreateCounter<long>("inference_items_total", description: "items run");
        Rejected = Meter.CreateCounter<long>("inference_rejected_total", description: "refused requests by reason");
        DeadlineExceeded = Meter.CreateCounter<long>("inference_deadline_exceeded_total", description: "items past their deadline by stage");
        Cancelled = Meter.CreateCounter<long>("inference_cancelled_total", description: "items cancelled by stage and reason");
        BatchSplits = Meter.CreateCounter<long>("inference_batch_splits_total", description: "batches split after running out of memory");
        OutOfMemory = Meter.CreateCounter<long>("inference_gpu_oom_total", description: "items failed for lack of memory");
        CacheRequests = Meter.CreateCounter<long>("inference_cache_requests_total", description: "cache lookups by result (hit, miss, bypass, error)");
        StageDuration = Meter.CreateHistogram<double>("inference_stage_duration_seconds", "s", "pipeline stage time (text, latent, synthesis, rerank, encode)");
        Meter.CreateObservableGauge("torch_live_tensors", () => TorchSharp.torch.Tensor.TotalCount, "{tensor}",
            "tensors alive in the process (TorchSharp handles not yet disposed, models' parameters included): a leak shows as growth between idle readings");
    }

    public ActivitySource Source { get; } = new(Name, "1.0");
    public Meter Meter { get; }
    public Counter<long> Requests { get; }
    public Histogram<double> RequestDuration { get; }
    public Histogram<double> QueueWait { get; }
    public Histogram<double> BatchExecution { get; }
    public Histogram<long> BatchSize { get; }
    public Histogram<double> BatchFill { get; }
    public Counter<long> Batches { get; }
    public Counter<long> Items { get; }
    public Counter<long> Rejected { get; }
    public Counter<long> DeadlineExceeded { get; }
    public Counter<long> Cancelled { get; }
    public Counter<long> BatchSplits { get; }
    public Counter<long> OutOfMemory { get; }
    public Counter<long> CacheRequests { get; }
    public Histogram<double> StageDuration { get; }

    /// <summary>Registers the queue-depth gauge of every endpoint of <paramref name="queue"/>.</summary>
    public void ObserveQueue(InferenceQueue queue) =>
        Meter.CreateObservableGauge("inference_queue_depth",
            () => queue.Endpoints.Select(e => new Measurement<int>(queue.Depth(e), new KeyValuePair<string, object?>("endpoint", e))),
            "{item}", "items waiting per endpoint");

    public void Dispose()
    {
        Source.Dispose();
        Meter.Dispose();
    }
}
