using System.Collections.Concurrent;
using System.Threading.Channels;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Services;

/// <summary>A job's state (Replicate/cog shape, api.md §4.3).</summary>
public enum JobStatus { Queued, Running, Succeeded, Failed, Canceled, Expired }

/// <summary>One request's job: its status, events for SSE, and its response when done.</summary>
public sealed class Job
{
    private readonly List<Channel<string>> listeners = [];
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock cancelLock = new();
    private WorkItem? item;
    private CancellationTokenSource? cancel;

    /// <param name="cancel">The job's own cancellation source; the job owns it from here on.</param>
    public Job(string id, string endpoint, WorkItem item, CancellationTokenSource cancel)
    {
        Id = id;
        Endpoint = endpoint;
        this.item = item;
        this.cancel = cancel;
        item.StateChanged += state =>
        {
            if (state == "started")
            {
                Status = JobStatus.Running;
                StartedAt = DateTimeOffset.UtcNow;
                Publish("started");
            }
        };
    }

    public string Id { get; }
    public string Endpoint { get; }
    /// <summary>
    /// The queued item while the job is unfinished; released when it completes, so that a retained job holds its
    /// response alone, not the request's payload (an input image: 12 MB of floats at 1024²) or the raw result.
    /// </summary>
    public WorkItem? Item => item;

    /// <summary>Progress of multi-step work, 0..1; 1 once succeeded.</summary>
    public double Progress => item?.Progress ?? (Status == JobStatus.Succeeded ? 1 : 0);
    public JobStatus Status { get; private set; } = JobStatus.Queued;
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>The response body (JSON) when succeeded, or the problem when failed.</summary>
    public byte[]? Response { get; private set; }
    public Microsoft.AspNetCore.Mvc.ProblemDetails? Problem { get; private set; }

    /// <summary>Asks the job's work to stop; nothing once its cancellation source is released.</summary>
    public void RequestCancel()
    {
        lock (cancelLock)
            cancel?.Cancel();
    }

    /// <summary>
    /// Disposes the job's cancellation source once nothing is linked to it any more (the work has ended); a cancel
    /// asked for after that is a no-op, so a retained job holds no source.
    /// </summary>
    public void ReleaseCancellation()
    {
        lock (cancelLock)
        {
            cancel?.Dispose();
            cancel = null;
        }
    }

    /// <summary>Completes once <see cref="Response"/> or <see cref="Problem"/> is set.</summary>
    public Task Finished => finished.Task;

    public void Complete(JobStatus status, byte[]? response, Microsoft.AspNetCore.Mvc.ProblemDetails? problem = null)
    {
        Status = status;
        Response = response;
        Problem = problem;
        CompletedAt = DateTimeOffset.UtcNow;
        item = null;
        finished.TrySetResult();
        Publish("completed");
        lock (listeners)
        {
            foreach (var l in listeners)
                l.Writer.TryComplete();
            listeners.Clear();
        }
    }

    private void Publish(string name)
    {
        lock (listeners)
            foreach (var l in listeners)
                l.Writer.TryWrite(name);
    }

    /// <summary>A reader of this job's events (queued, started, completed); completes after "completed".</summary>
    public ChannelReader<string> Subscribe()
    {
        var channel = Channel.CreateUnbounded<string>();
        lock (listeners)
        {
            if (CompletedAt is not null)
            {
                channel.Writer.TryWrite("completed");
                channel.Writer.TryComplete();
            }
            else
            {
                channel.Writer.TryWrite(Status == JobStatus.Running ? "started" : "queued");
                listeners.Add(channel);
            }
        }
        return channel.Reader;
    }
}

/// <summary>Jobs by id, kept for an hour after they finish, within a count and a byte budget.</summary>
public sealed class JobStore(Microsoft.Extensions.Options.IOptions<ApiOptions> options)
{
    private readonly ConcurrentDictionary<string, Job> jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Job> finishedInOrder = new();
    private readonly object retireLock = new();

    public static readonly TimeSpan ResultTtl = TimeSpan.FromHours(1);

    /// <summary>Jobs held now (unfinished and retained finished ones).</summary>
    public int Count => jobs.Count;

    /// <summary>Response bytes the retained finished jobs hold.</summary>
    public long RetainedResponseBytes => Interlocked.Read(ref retainedBytes);
    private long retainedBytes;

    public Job Add(Job job)
    {
        jobs[job.Id] = job;
        job.Finished.ContinueWith(_ => Retire(job), TaskScheduler.Default);
        return job;
    }

    // finished jobs keep their responses for a while; the oldest go once there are too many or they expire
    private void Retire(Job job)
    {
        int max = Math.Max(0, options.Value.MaxRetainedJobs);
        long maxBytes = Math.Max(0, options.Value.MaxRetainedResponseBytes);
        lock (retireLock)
        {
            finishedInOrder.Enqueue(job);
            Interlocked.Add(ref retainedBytes, job.Response?.Length ?? 0);
            while (finishedInOrder.TryPeek(out var oldest)
                   && (finishedInOrder.Count > max || retainedBytes > maxBytes || DateTimeOffset.UtcNow - oldest.CompletedAt > ResultTtl))
            {
                finishedInOrder.TryDequeue(out _);
                Interlocked.Add(ref retainedBytes, -(oldest.Response?.Length ?? 0));
                // the key goes first: a reader that no longer finds the job finds no key to it either
                if (keyOfJob.TryRemove(oldest.Id, out var key) && idempotency.TryGetValue(key, out var entry) && entry.JobId == oldest.Id)
                    idempotency.TryRemove(new KeyValuePair<string, (string, string, DateTimeOffset)>(key, entry));
                jobs.TryRemove(new KeyValuePair<string, Job>(oldest.Id, oldest));
            }
        }
    }

    public Job? Find(string id) => jobs.TryGetValue(id, out var job) ? job : null;

    /// <summary>Jobs not yet answered: queued, running, or computed and still being stored (the drain waits for them).</summary>
    public int Unfinished => jobs.Values.Count(j => j.CompletedAt is null);

    private readonly ConcurrentDictionary<string, (string Hash, string JobId, DateTimeOffset At)> idempotency = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> keyOfJob = new(StringComparer.Ordinal);

    /// <summary>Idempotency keys held now: one per retained job that was started with one.</summary>
    public int IdempotencyKeys => idempotency.Count;

    /// <summary>The job an Idempotency-Key (per API key) already started, with the hash of the request that started it.</summary>
    public (string Hash, Job Job)? ForIdempotencyKey(string scopedKey)
    {
        if (idempotency.TryGetValue(scopedKey, out var entry) && DateTimeOffset.UtcNow - entry.At < TimeSpan.FromHours(24) && Find(entry.JobId) is { } job)
            return (entry.Hash, job);
        return null;
    }

    public void RememberIdempotencyKey(string scopedKey, string hash, string jobId)
    {
        var entry = (hash, jobId, DateTimeOffset.UtcNow);
        idempotency[scopedKey] = entry;
        keyOfJob[jobId] = scopedKey;
        if (!jobs.ContainsKey(jobId)) // retired already (added before this call): nothing left to replay
        {
            keyOfJob.TryRemove(jobId, out _);
            idempotency.TryRemove(new KeyValuePair<string, (string, string, DateTimeOffset)>(scopedKey, entry));
        }
    }
}
