using System.Collections.Concurrent;
using System.Threading.Channels;

namespace StyleBridge.Engine.Serving;

/// <summary>
/// A bounded queue per endpoint (api.md §4.4): <see cref="TryEnqueue"/> never waits. It refuses when the endpoint's
/// queued items would exceed its capacity (503), when the API key already holds its quota of queued items (429), or
/// while draining (503). The worker reads items back per endpoint.
/// </summary>
public sealed class InferenceQueue
{
    private readonly ServingOptions options;
    private readonly ConcurrentDictionary<string, Channel<WorkItem>> channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> depth = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> perKey = new(StringComparer.Ordinal);
    private volatile bool draining;

    public InferenceQueue(ServingOptions options)
    {
        this.options = options;
        foreach (string endpoint in options.Endpoints.Keys)
            Channel(endpoint);
    }

    public ServingOptions Options => options;
    public bool IsDraining => draining;
    public IEnumerable<string> Endpoints => channels.Keys;

    /// <summary>Items queued per endpoint (for the queue-depth gauge and Retry-After).</summary>
    public int Depth(string endpoint) => depth.GetValueOrDefault(endpoint);

    /// <summary>Signals the worker that items are waiting (any endpoint).</summary>
    public SemaphoreSlim Signal { get; } = new(0);

    private Channel<WorkItem> Channel(string endpoint) =>
        channels.GetOrAdd(endpoint, _ => System.Threading.Channels.Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true }));

    public void TryEnqueue(WorkItem item)
    {
        var limits = options.For(item.Endpoint);
        if (draining)
            throw new QueueRejectedException(RejectionReason.Draining, "the service is shutting down", TimeSpan.FromSeconds(5));
        if (item.ApiKey is { } key)
        {
            int held = perKey.AddOrUpdate(key, item.Items, (_, v) => v + item.Items);
            // a key with nothing queued may always queue one request, however many items it has
            if (held > options.MaxQueuedPerApiKey && held - item.Items > 0)
            {
                perKey.AddOrUpdate(key, 0, (_, v) => v - item.Items);
                throw new QueueRejectedException(RejectionReason.Quota, $"this API key already has {held - item.Items} items queued (quota {options.MaxQueuedPerApiKey})", TimeSpan.FromSeconds(1));
            }
        }
        int now = depth.AddOrUpdate(item.Endpoint, item.Items, (_, v) => v + item.Items);
        if (now > limits.QueueCapacity)
        {
            depth.AddOrUpdate(item.Endpoint, 0, (_, v) => v - item.Items);
            Release(item, countDepth: false);
            int seconds = Math.Max(1, (int)Math.Ceiling((double)(now - item.Items) / Math.Max(1, limits.MaxBatchSize)));
            throw new QueueRejectedException(RejectionReason.QueueFull, $"the {item.Endpoint} queue is full ({limits.QueueCapacity} items)", TimeSpan.FromSeconds(seconds));
        }
        Channel(item.Endpoint).Writer.TryWrite(item);
        Signal.Release();
    }

    /// <summary>Takes the next waiting item of <paramref name="endpoint"/>, if any.</summary>
    public bool TryDequeue(string endpoint, out WorkItem item)
    {
        if (Channel(endpoint).Reader.TryRead(out item!))
        {
            Release(item, countDepth: true);
            return true;
        }
        return false;
    }

    private void Release(WorkItem item, bool countDepth)
    {
        if (countDepth)
            depth.AddOrUpdate(item.Endpoint, 0, (_, v) => v - item.Items);
        if (item.ApiKey is { } key)
            perKey.AddOrUpdate(key, 0, (_, v) => Math.Max(0, v - item.Items));
    }

    /// <summary>Stops accepting work; what is queued stays for the worker to finish or refuse.</summary>
    public void StartDraining() => draining = true;
}
