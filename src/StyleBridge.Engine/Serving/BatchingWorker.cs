using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace StyleBridge.Engine.Serving;

/// <summary>
/// The one thread that runs models (api.md §4.4). It takes the oldest waiting item of an endpoint (endpoints in turn),
/// gathers compatible items (same compatibility key) until the batch holds <c>MaxBatchSize</c> items or
/// <c>MaxQueueDelayMs</c> passed, drops items that were cancelled or whose deadline passed before they reach the model,
/// runs the batch under a dispose scope, and on running out of memory splits the batch in halves and retries; a single
/// item that still fails fails alone. Each item completes on its own.
/// </summary>
public sealed class BatchingWorker
{
    private readonly InferenceQueue queue;
    private readonly Dictionary<string, IBatchExecutor> executors;
    private readonly ServingTelemetry telemetry;
    private readonly ILogger logger;
    private readonly Dictionary<string, LinkedList<WorkItem>> pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new(); // never disposed: see Stop
    private Thread? thread;
    private int stopped;

    public BatchingWorker(InferenceQueue queue, IEnumerable<IBatchExecutor> executors, ServingTelemetry telemetry, ILogger<BatchingWorker> logger)
    {
        this.queue = queue;
        this.executors = executors.ToDictionary(e => e.Endpoint, StringComparer.Ordinal);
        this.telemetry = telemetry;
        this.logger = logger;
    }

    public bool IsRunning => thread is { IsAlive: true };

    public void Start()
    {
        thread = new Thread(Run) { IsBackground = true, Name = "stylebridge-batching-worker" };
        thread.Start();
    }

    /// <summary>
    /// Stops after the running batch; items still queued are refused. Idempotent. The worker is not disposable on
    /// purpose: under minimal hosting the container disposes its singletons while the host may still be draining, and
    /// the stop signal must stay usable until then (a CancellationTokenSource without timers holds nothing to release).
    /// </summary>
    public void Stop(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref stopped, 1) == 0)
        {
            stopping.Cancel();
            queue.Signal.Release();
        }
        thread?.Join(timeout);
        foreach (var endpoint in queue.Endpoints)
        {
            while (queue.TryDequeue(endpoint, out var item))
                item.Fail(new QueueRejectedException(RejectionReason.Draining, "the service is shutting down", TimeSpan.FromSeconds(5)));
            if (pending.TryGetValue(endpoint, out var list))
                foreach (var item in list)
                    item.Fail(new QueueRejectedException(RejectionReason.Draining, "the service is shutting down", TimeSpan.FromSeconds(5)));
        }
    }

    /// <summary>Whether nothing is queued or forming (for the drain).</summary>
    public bool IsIdle => queue.Endpoints.All(e => queue.Depth(e) == 0) && pending.Values.All(p => p.Count == 0) && !busy;
    private volatile bool busy;

    private void Run()
    {
        while (!stopping.IsCancellationRequested)
        {
            bool worked = false;
            foreach (string endpoint in executors.Keys)
            {
                if (stopping.IsCancellationRequested)
                    break;
                var batch = FormBatch(endpoint);
                if (batch.Count == 0)
                    continue;
                worked = true;
                busy = true;
                try
                {
                    RunBatch(executors[endpoint], batch);
                }
                finally
                {
                    busy = false;
                }
            }
            if (!worked)
                queue.Signal.Wait(100);
        }
    }

    private LinkedList<WorkItem> Pending(string endpoint)
    {
        if (!pending.TryGetValue(endpoint, out var list))
            pending[endpoint] = list = new LinkedList<WorkItem>();
        return list;
    }

    private void Pull(string endpoint)
    {
        var list = Pending(endpoint);
        while (queue.TryDequeue(endpoint, out var item))
            list.AddLast(item);
    }

    private List<WorkItem> FormBatch(string endpoint)
    {
        var options = queue.Options.For(endpoint);
        var list = Pending(endpoint);
        Pull(endpoint);
        DropDead(endpoint, list);
        if (list.Count == 0)
            return [];

        var first = list.First!.Value;
        var batch = new List<WorkItem>();
        int items = 0;
        var waitUntil = Stopwatch.StartNew();
        while (true)
        {
            for (var node = list.First; node is not null;)
            {
                var next = node.Next;
                var item = node.Value;
                if (item.CompatibilityKey == first.CompatibilityKey && (batch.Count == 0 || items + item.Items <= options.MaxBatchSize))
                {
                    batch.Add(item);
                    items += item.Items;
                    list.Remove(node);
                }
                node = next;
            }
            if (items >= options.MaxBatchSize || waitUntil.ElapsedMilliseconds >= options.MaxQueueDelayMs || stopping.IsCancellationRequested)
                break;
            queue.Signal.Wait(Math.Max(1, options.MaxQueueDelayMs - (int)waitUntil.ElapsedMilliseconds));
            Pull(endpoint);
            DropDead(endpoint, list);
        }
        return batch;
    }

    private void DropDead(string endpoint, LinkedList<WorkItem> list)
    {
        var now = DateTimeOffset.UtcNow;
        for (var node = list.First; node is not null;)
        {
            var next = node.Next;
            var item = node.Value;
            if (item.Cancellation.IsCancellationRequested)
            {
                list.Remove(node);
                telemetry.Cancelled.Add(1, new("endpoint", endpoint), new("stage", "queued"));
                item.Cancel();
            }
            else if (item.IsExpired(now))
            {
                list.Remove(node);
                telemetry.DeadlineExceeded.Add(1, new("endpoint", endpoint), new("stage", "queued"));
                item.Fail(new DeadlineExceededException("queued"));
            }
            node = next;
        }
    }

    private void RunBatch(IBatchExecutor executor, List<WorkItem> batch)
    {
        int items = batch.Sum(i => i.Items);
        var options = queue.Options.For(executor.Endpoint);
        foreach (var item in batch)
        {
            item.QueueTime = item.Clock.Elapsed;
            item.BatchItems = items;
            telemetry.QueueWait.Record(item.QueueTime.TotalSeconds, new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
            item.MarkStarted();
        }
        telemetry.Batches.Add(1, new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
        telemetry.Items.Add(items, new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
        telemetry.BatchSize.Record(items, new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
        telemetry.BatchFill.Record((double)items / Math.Max(1, options.MaxBatchSize), new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
        using var activity = telemetry.Source.StartActivity("batch");
        activity?.SetTag("endpoint", executor.Endpoint);
        activity?.SetTag("batch.items", items);
        var clock = Stopwatch.StartNew();
        Execute(executor, batch);
        telemetry.BatchExecution.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
    }

    private void Execute(IBatchExecutor executor, List<WorkItem> batch)
    {
        try
        {
            using var scope = NewDisposeScope();
            executor.Execute(batch);
            foreach (var item in batch.Where(i => !i.Completion.IsCompleted))
                item.Fail(new InvalidOperationException("the batch finished without a result for this item"));
        }
        catch (Exception e) when (IsOutOfMemory(e) && batch.Count > 1)
        {
            telemetry.BatchSplits.Add(1, new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
            logger.LogWarning("out of memory on a batch of {Count} {Endpoint} items: splitting", batch.Count, executor.Endpoint);
            int half = batch.Count / 2;
            Execute(executor, [.. batch.Take(half).Where(i => !i.Completion.IsCompleted)]);
            Execute(executor, [.. batch.Skip(half).Where(i => !i.Completion.IsCompleted)]);
        }
        catch (OperationCanceledException) when (batch.All(i => i.Cancellation.IsCancellationRequested))
        {
            foreach (var item in batch)
            {
                telemetry.Cancelled.Add(1, new("endpoint", executor.Endpoint), new("stage", "running"));
                item.Cancel();
            }
        }
        catch (Exception e)
        {
            if (IsOutOfMemory(e))
                telemetry.OutOfMemory.Add(batch.Count, new KeyValuePair<string, object?>("endpoint", executor.Endpoint));
            else if (e is not ArgumentException)
                logger.LogError(e, "a {Endpoint} batch of {Count} failed", executor.Endpoint, batch.Count);
            foreach (var item in batch)
                item.Fail(e);
        }
    }

    private static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase);
}
