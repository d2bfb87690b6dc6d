using System.Diagnostics;

namespace StyleBridge.Engine.Serving;

/// <summary>Why an item did not run.</summary>
public enum RejectionReason
{
    QueueFull,
    Quota,
    Draining,
}

/// <summary>The queue refused an item: full, over the key's quota, or shutting down.</summary>
public sealed class QueueRejectedException(RejectionReason reason, string message, TimeSpan retryAfter) : Exception(message)
{
    public RejectionReason Reason { get; } = reason;
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>An item's deadline passed, in the queue or while it ran.</summary>
public sealed class DeadlineExceededException(string stage) : Exception($"the request's deadline passed while it was {stage}")
{
    public string Stage { get; } = stage;
}

/// <summary>
/// One queued request: its payload, how many batch items it counts for, the key of the batches it may join, its
/// deadline and cancellation (request abort ⊕ deadline ⊕ job cancel), and the task that completes with its result.
/// </summary>
public abstract class WorkItem
{
    private readonly TaskCompletionSource<object> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected WorkItem(string endpoint, int items, string compatibilityKey, DateTimeOffset deadline, string? apiKey, CancellationToken cancellation)
    {
        Endpoint = endpoint;
        Items = items;
        CompatibilityKey = compatibilityKey;
        Deadline = deadline;
        ApiKey = apiKey;
        Cancellation = cancellation;
    }

    public string Endpoint { get; }
    public int Items { get; }
    public string CompatibilityKey { get; }
    public DateTimeOffset Deadline { get; }
    public string? ApiKey { get; }
    public CancellationToken Cancellation { get; }
    public Stopwatch Clock { get; } = Stopwatch.StartNew();
    public TimeSpan QueueTime { get; set; }
    public int BatchItems { get; set; }

    /// <summary>Progress of multi-step work, 0..1 (for job events).</summary>
    public double Progress { get; set; }

    public event Action<string>? StateChanged;

    public Task<object> Completion => completion.Task;

    public bool IsExpired(DateTimeOffset now) => now >= Deadline;

    public void MarkStarted() => StateChanged?.Invoke("started");

    public void Succeed(object result) => completion.TrySetResult(result);

    public void Fail(Exception error) => completion.TrySetException(error);

    public void Cancel() => completion.TrySetCanceled(Cancellation.IsCancellationRequested ? Cancellation : new CancellationToken(true));
}

/// <summary>A work item with a typed payload.</summary>
public sealed class WorkItem<TPayload>(string endpoint, TPayload payload, int items, string compatibilityKey, DateTimeOffset deadline,
    string? apiKey, CancellationToken cancellation) : WorkItem(endpoint, items, compatibilityKey, deadline, apiKey, cancellation)
{
    public TPayload Payload { get; } = payload;
}
