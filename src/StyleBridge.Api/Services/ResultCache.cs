using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Services;

/// <summary>Finished responses by cache key (api.md §4.5). A failing store never fails a request: it reads as a miss.</summary>
public interface IResultCache
{
    /// <summary>"memory" or "redis".</summary>
    string Kind { get; }

    Task<byte[]?> GetAsync(string key, CancellationToken cancellation);

    Task SetAsync(string key, byte[] value, CancellationToken cancellation);
}

/// <summary>The in-memory cache of the embedded default, bounded by total size.</summary>
public sealed class MemoryResultCache(IOptions<CacheOptions> options) : IResultCache, IDisposable
{
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 256L * 1024 * 1024 });

    public string Kind => "memory";

    public Task<byte[]?> GetAsync(string key, CancellationToken cancellation) =>
        Task.FromResult(cache.TryGetValue(key, out byte[]? value) ? value : null);

    public Task SetAsync(string key, byte[] value, CancellationToken cancellation)
    {
        if (value.Length <= options.Value.MaxEntryBytes)
            cache.Set(key, value, new MemoryCacheEntryOptions { Size = value.Length, AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(options.Value.TtlSeconds) });
        return Task.CompletedTask;
    }

    public void Dispose() => cache.Dispose();
}

/// <summary>
/// Redis (StackExchange.Redis) behind a Polly circuit breaker and timeout: Redis down → every call is a counted miss
/// (fail open), and after repeated failures the breaker stops trying for a while.
/// </summary>
public sealed class RedisResultCache : IResultCache, IDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> connection;
    private readonly ResiliencePipeline pipeline;
    private readonly CacheOptions options;
    private readonly ServingTelemetry telemetry;
    private readonly ILogger<RedisResultCache> logger;

    public RedisResultCache(IOptions<CacheOptions> options, ServingTelemetry telemetry, ILogger<RedisResultCache> logger)
    {
        this.options = options.Value;
        this.telemetry = telemetry;
        this.logger = logger;
        var config = ConfigurationOptions.Parse(this.options.Redis!);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 2000;
        config.SyncTimeout = 1000;
        config.AsyncTimeout = 1000;
        connection = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(config));
        pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(15),
            })
            .AddTimeout(TimeSpan.FromSeconds(1))
            .Build();
    }

    public string Kind => "redis";

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellation)
    {
        try
        {
            return await pipeline.ExecuteAsync(async token =>
            {
                var db = (await connection.Value.WaitAsync(token)).GetDatabase();
                var value = await db.StringGetAsync(key).WaitAsync(token);
                return value.IsNull ? null : (byte[]?)value;
            }, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            Failed(e);
            return null;
        }
    }

    public async Task SetAsync(string key, byte[] value, CancellationToken cancellation)
    {
        if (value.Length > options.MaxEntryBytes)
            return;
        try
        {
            await pipeline.ExecuteAsync(async token =>
            {
                var db = (await connection.Value.WaitAsync(token)).GetDatabase();
                await db.StringSetAsync(key, value, TimeSpan.FromSeconds(options.TtlSeconds)).WaitAsync(token);
            }, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            Failed(e);
        }
    }

    private void Failed(Exception e)
    {
        telemetry.CacheRequests.Add(1, new KeyValuePair<string, object?>("result", "error"));
        if (e is not BrokenCircuitException)
            logger.LogWarning("redis cache unavailable, serving without it: {Message}", e.Message);
    }

    public void Dispose()
    {
        if (connection.IsValueCreated && connection.Value.IsCompletedSuccessfully)
            connection.Value.Result.Dispose();
    }
}

/// <summary>Identical in-flight requests (same cache key) share one execution.</summary>
public sealed class SingleFlight
{
    private readonly ConcurrentDictionary<string, Lazy<Task<byte[]>>> inFlight = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="work"/> once per key at a time; the others await its result. Returns whether this call ran it.</summary>
    public async Task<(byte[] Value, bool Leader)> RunAsync(string key, Func<Task<byte[]>> work)
    {
        var mine = new Lazy<Task<byte[]>>(work, LazyThreadSafetyMode.ExecutionAndPublication);
        var shared = inFlight.GetOrAdd(key, mine);
        try
        {
            return (await shared.Value, ReferenceEquals(shared, mine));
        }
        finally
        {
            if (ReferenceEquals(shared, mine))
                inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<byte[]>>>(key, mine));
        }
    }
}
