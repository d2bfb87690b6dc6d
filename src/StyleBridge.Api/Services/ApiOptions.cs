namespace StyleBridge.Api.Services;

/// <summary>The service's own settings, bound from <c>StyleBridge</c>.</summary>
public sealed class ApiOptions
{
    public const string Section = "StyleBridge";

    /// <summary>The model set (default: the bundled Shapes set, see <c>ModelSet.Open</c>).</summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>Finished jobs kept for <c>GET /jobs/{id}</c> (oldest go first; each also expires after an hour).</summary>
    public int MaxRetainedJobs { get; set; } = 1000;

    /// <summary>
    /// The most response bytes finished jobs keep together (oldest go first): a count alone would let 1 000 retained
    /// 1024² responses hold gigabytes.
    /// </summary>
    public long MaxRetainedResponseBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>libtorch intra-op threads (default: one per core).</summary>
    public int? Threads { get; set; }

    /// <summary>Largest accepted image, checked before decoding.</summary>
    public int MaxImageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>SHA-256 (hex) of every accepted API key; empty: no key required (development).</summary>
    public List<string> ApiKeys { get; set; } = [];

    public RateLimitOptions RateLimit { get; set; } = new();
}

public sealed class RateLimitOptions
{
    public int PermitsPerMinute { get; set; } = 60;
    public int Burst { get; set; } = 10;
}

/// <summary>The result cache, bound from <c>Cache</c>.</summary>
public sealed class CacheOptions
{
    public const string Section = "Cache";

    /// <summary>A StackExchange.Redis connection string; null: in-memory.</summary>
    public string? Redis { get; set; }

    public int TtlSeconds { get; set; } = 86_400;
    public int MaxEntryBytes { get; set; } = 8 * 1024 * 1024;
}
