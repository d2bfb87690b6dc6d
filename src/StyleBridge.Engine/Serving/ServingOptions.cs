namespace StyleBridge.Engine.Serving;

/// <summary>Queue and batching policy of one endpoint (api.md §4.4), bound from <c>Serving:Endpoints:{name}</c>.</summary>
public sealed class EndpointQueueOptions
{
    /// <summary>Largest batch, in items (images × candidates for generate, images for edit and invert).</summary>
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>How long a forming batch waits for more compatible items after its first, in ms.</summary>
    public int MaxQueueDelayMs { get; set; } = 5;

    /// <summary>Items the endpoint's queue holds; a request that does not fit is refused (503), never awaited.</summary>
    public int QueueCapacity { get; set; } = 256;
}

/// <summary>The serving policy (api.md §4.4), bound from <c>Serving</c>.</summary>
public sealed class ServingOptions
{
    public const string Section = "Serving";

    public Dictionary<string, EndpointQueueOptions> Endpoints { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["generate"] = new() { MaxBatchSize = 64 },
        ["edit"] = new() { MaxBatchSize = 16 },
        ["invert"] = new() { MaxBatchSize = 8 },
    };

    public int DefaultTimeoutMs { get; set; } = 30_000;
    public int MaxTimeoutMs { get; set; } = 120_000;

    /// <summary>Queued items one API key may hold at once.</summary>
    public int MaxQueuedPerApiKey { get; set; } = 32;

    /// <summary>Batch sizes run once at start before readiness (warm-up).</summary>
    public int[] PreferredBatchSizes { get; set; } = [1, 4];

    /// <summary>How long queued work may finish after SIGTERM before the rest is refused.</summary>
    public int DrainTimeoutMs { get; set; } = 25_000;

    public EndpointQueueOptions For(string endpoint) =>
        Endpoints.TryGetValue(endpoint, out var options) ? options : new EndpointQueueOptions();
}
