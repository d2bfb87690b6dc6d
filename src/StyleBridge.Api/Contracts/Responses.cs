namespace StyleBridge.Api.Contracts;

public sealed record ModelInfo(string Id, string Directory, IReadOnlyDictionary<string, string> WeightsSha256);

public sealed record ImageResult(string Data, string ContentType, ulong? Seed = null, double? ClipScore = null);

public sealed record Timings(double QueueMs, double InferenceMs, double TotalMs, int BatchSize);

/// <summary>The response of /generate, /edit and /invert.</summary>
public sealed record InferenceResponse(
    string RequestId,
    ModelInfo Model,
    IReadOnlyList<ImageResult> Images,
    IReadOnlyDictionary<string, object?> Parameters,
    Timings Timings,
    string Cache,
    IReadOnlyList<float[]>? Latents = null,
    long[]? LatentShape = null,
    ImageResult? Reconstruction = null,
    IReadOnlyDictionary<string, double>? Metrics = null);

/// <summary>A job (async requests, or sync ones that outlived Prefer: wait).</summary>
public sealed record JobResponse(string Id, string Status, string Endpoint, int QueuePosition, double Progress, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, JobUrls Urls);

public sealed record JobUrls(string Get, string Cancel, string Events);
