using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StyleBridge.Api.Contracts;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Services;

/// <summary>A job ended without a response; its problem is what the client gets.</summary>
public sealed class JobFailedException(Microsoft.AspNetCore.Mvc.ProblemDetails problem) : Exception(problem.Detail)
{
    public Microsoft.AspNetCore.Mvc.ProblemDetails Problem { get; } = problem;
}

/// <summary>How a request wants its answer (RFC 7240 <c>Prefer</c>: <c>respond-async</c>, <c>wait=N</c>).</summary>
public sealed record Preference(bool RespondAsync, TimeSpan Wait)
{
    public static Preference Parse(HttpRequest request, int maxWaitSeconds = 120)
    {
        bool respondAsync = false;
        int wait = 30;
        foreach (string? header in request.Headers["Prefer"])
        {
            foreach (string part in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.Equals("respond-async", StringComparison.OrdinalIgnoreCase))
                    respondAsync = true;
                else if (part.StartsWith("wait=", StringComparison.OrdinalIgnoreCase) && int.TryParse(part[5..], out int w))
                    wait = Math.Clamp(w, 0, maxWaitSeconds);
            }
        }
        return new Preference(respondAsync, TimeSpan.FromSeconds(wait));
    }
}

/// <summary>
/// Puts requests on the queue and answers them: the result cache (deterministic requests only; identical ones in
/// flight share one execution), the job record, the deadline (queue time included), cancellation (request abort ⊕
/// deadline ⊕ job cancel), sync answers within <c>Prefer: wait</c> or a 202 with the job.
/// </summary>
public sealed class InferenceDispatcher(InferenceQueue queue, JobStore jobs, IResultCache cache, SingleFlight flight, ServingTelemetry telemetry,
    ModelDescriptor model, IOptions<ServingOptions> serving, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    public const string ApiVersion = "1";

    /// <summary>A cache key: SHA-256 over the endpoint, the model set's fingerprint, the API version and the canonical parameters.</summary>
    public string CacheKey(string endpoint, object canonicalParameters, byte[]? input = null)
    {
        string text = JsonSerializer.Serialize(new { endpoint, model = model.Fingerprint, api = ApiVersion, parameters = canonicalParameters },
            json.Value.SerializerOptions);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(text));
        if (input is not null)
            sha.AppendData(SHA256.HashData(input));
        return "stylebridge:v" + ApiVersion + ":" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public async Task<IResult> DispatchAsync<TPayload>(HttpContext http, string endpoint, TPayload payload, int items, string compatibilityKey,
        string? cacheKey, string cacheMode, int? timeoutMs, Func<object, WorkItem, string, InferenceResponse> respond, string? requestHash = null)
    {
        var clock = Stopwatch.StartNew();
        var preference = Preference.Parse(http.Request);

        // Idempotency-Key: the same key and body within 24 h get the same job; the same key with another body is 409
        string? idempotencyKey = null;
        if (http.Request.Headers.TryGetValue("Idempotency-Key", out var header) && header.ToString() is { Length: > 0 } key)
        {
            if (key.Length > 128)
                return Problems.Result(StatusCodes.Status422UnprocessableEntity, "validation_failed", "Idempotency-Key: at most 128 characters");
            idempotencyKey = (http.Items["api_key"] as string ?? "") + "|" + endpoint + "|" + key;
            string hash = requestHash ?? cacheKey ?? "";
            if (jobs.ForIdempotencyKey(idempotencyKey) is { } earlier)
            {
                if (earlier.Hash != hash)
                    return Problems.Result(StatusCodes.Status409Conflict, "idempotency_key_reused", "this Idempotency-Key was used with a different request");
                if (earlier.Job.Response is { } body)
                    return Answer(http, endpoint, body, "HIT", clock);
                http.Response.Headers.Location = $"/jobs/{earlier.Job.Id}";
                return TypedResults.Accepted($"/jobs/{earlier.Job.Id}", JobView(earlier.Job));
            }
            http.Items["idempotency_key"] = idempotencyKey;
            http.Items["request_hash"] = hash;
        }
        string mode = cacheKey is null ? "bypass" : cacheMode;
        var tags = new KeyValuePair<string, object?>("endpoint", endpoint);

        if (mode == "use")
        {
            var hit = await cache.GetAsync(cacheKey!, http.RequestAborted);
            if (hit is not null)
            {
                telemetry.CacheRequests.Add(1, tags, new("result", "hit"));
                return Answer(http, endpoint, hit, "HIT", clock);
            }
            telemetry.CacheRequests.Add(1, tags, new("result", "miss"));
        }
        else
        {
            telemetry.CacheRequests.Add(1, tags, new("result", "bypass"));
        }

        var options = serving.Value;
        int timeout = Math.Clamp(timeoutMs ?? options.DefaultTimeoutMs, 100, options.MaxTimeoutMs);
        // bypass neither reads nor writes the cache, so it never shares a cached or in-flight result either
        if (preference.RespondAsync || cacheKey is null || mode is "refresh" or "bypass" || idempotencyKey is not null)
            return await Enqueue(http, endpoint, payload, items, compatibilityKey, cacheKey, mode, timeout, preference, respond, clock);

        // identical deterministic requests in flight share one execution
        try
        {
            var (bytes, leader) = await flight.RunAsync(cacheKey, async () =>
            {
                var job = Start(http, endpoint, payload, items, compatibilityKey, cacheKey, timeout, sync: true, respond);
                await job.Finished;
                return job.Response ?? throw new JobFailedException(job.Problem!);
            });
            return Answer(http, endpoint, bytes, leader ? "MISS" : "HIT", clock);
        }
        catch (Exception e)
        {
            return Failure(http, endpoint, e);
        }
    }

    private async Task<IResult> Enqueue<TPayload>(HttpContext http, string endpoint, TPayload payload, int items, string compatibilityKey,
        string? cacheKey, string mode, int timeout, Preference preference, Func<object, WorkItem, string, InferenceResponse> respond, Stopwatch clock)
    {
        Job job;
        try
        {
            job = Start(http, endpoint, payload, items, compatibilityKey, mode == "bypass" ? null : cacheKey, timeout, sync: !preference.RespondAsync, respond);
        }
        catch (Exception e)
        {
            return Failure(http, endpoint, e);
        }

        if (!preference.RespondAsync)
        {
            var finished = await Task.WhenAny(job.Finished, Task.Delay(preference.Wait, http.RequestAborted));
            if (finished == job.Finished)
            {
                if (job.Response is { } response)
                    return Answer(http, endpoint, response, mode == "bypass" ? "BYPASS" : "MISS", clock);
                return Failure(http, endpoint, new JobFailedException(job.Problem!));
            }
        }
        http.Response.Headers.Location = $"/jobs/{job.Id}";
        return TypedResults.Accepted($"/jobs/{job.Id}", JobView(job));
    }

    private Job Start<TPayload>(HttpContext http, string endpoint, TPayload payload, int items, string compatibilityKey, string? cacheKey,
        int timeout, bool sync, Func<object, WorkItem, string, InferenceResponse> respond)
    {
        var cancel = new CancellationTokenSource();
        var deadline = DateTimeOffset.UtcNow.AddMilliseconds(timeout);
        var deadlineSource = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeout));
        var linked = sync
            ? CancellationTokenSource.CreateLinkedTokenSource(cancel.Token, deadlineSource.Token, http.RequestAborted)
            : CancellationTokenSource.CreateLinkedTokenSource(cancel.Token, deadlineSource.Token);
        string id = Guid.NewGuid().ToString("N");
        var item = new WorkItem<TPayload>(endpoint, payload, items, compatibilityKey, deadline, http.Items["api_key"] as string, linked.Token);
        var job = new Job(id, endpoint, item, cancel);
        try
        {
            queue.TryEnqueue(item);
        }
        catch
        {
            // refused (queue full, quota, draining): no job was created
            linked.Dispose();
            deadlineSource.Dispose();
            cancel.Dispose();
            throw;
        }
        jobs.Add(job);
        if (http.Items["idempotency_key"] is string idempotencyKey)
            jobs.RememberIdempotencyKey(idempotencyKey, (string)http.Items["request_hash"]!, id);
        var options = json.Value.SerializerOptions;
        _ = item.Completion.ContinueWith(async t =>
        {
            try
            {
                if (t.IsCompletedSuccessfully)
                {
                    var body = JsonSerializer.SerializeToUtf8Bytes(respond(t.Result, item, id), options);
                    // stored before it is answered, so the same request right after the answer is a hit (bounded by
                    // the cache's own timeout and circuit breaker when Redis is unwell)
                    if (cacheKey is not null)
                        await cache.SetAsync(cacheKey, body, CancellationToken.None);
                    job.Complete(JobStatus.Succeeded, body);
                }
                else
                {
                    var error = t.Exception?.GetBaseException() ?? (Exception)new OperationCanceledException();
                    var status = error switch
                    {
                        DeadlineExceededException => JobStatus.Expired,
                        OperationCanceledException when deadlineSource.IsCancellationRequested => JobStatus.Expired,
                        OperationCanceledException => JobStatus.Canceled,
                        _ => JobStatus.Failed,
                    };
                    string stage = job.StartedAt is null ? "queued" : "running";
                    if (status == JobStatus.Expired)
                        telemetry.DeadlineExceeded.Add(1, new("endpoint", endpoint), new("stage", stage));
                    job.Complete(status, null, status == JobStatus.Expired ? Problems.For(new DeadlineExceededException(stage)) : Problems.For(error));
                }
            }
            finally
            {
                linked.Dispose();
                deadlineSource.Dispose();
                job.ReleaseCancellation();
            }
        }, TaskScheduler.Default).Unwrap();
        return job;
    }

    private IResult Answer(HttpContext http, string endpoint, byte[] body, string cacheState, Stopwatch clock)
    {
        http.Response.Headers["X-Cache"] = cacheState;
        http.Response.Headers["Server-Timing"] = $"total;dur={clock.Elapsed.TotalMilliseconds:F1}";
        telemetry.Requests.Add(1, new("endpoint", endpoint), new("status_code", 200), new("cache", cacheState.ToLowerInvariant()));
        telemetry.RequestDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("endpoint", endpoint));
        // a cached body carries the cache state it was stored with; the header is authoritative
        return TypedResults.Bytes(body, "application/json");
    }

    private IResult Failure(HttpContext http, string endpoint, Exception error)
    {
        if (error is AggregateException a)
            error = a.GetBaseException();
        var problem = error is JobFailedException failed ? failed.Problem : Problems.For(error);
        if (error is QueueRejectedException q)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(q.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            telemetry.Rejected.Add(1, new("endpoint", endpoint), new("reason", q.Reason switch
            {
                RejectionReason.Quota => "quota",
                RejectionReason.Draining => "draining",
                _ => "queue_full",
            }));
        }
        telemetry.Requests.Add(1, new("endpoint", endpoint), new("status_code", problem.Status ?? 500), new("cache", "bypass"));
        return TypedResults.Problem(problem);
    }

    public JobResponse JobView(Job job) => new(job.Id, job.Status.ToString().ToLowerInvariant(), job.Endpoint,
        job.Status == JobStatus.Queued ? queue.Depth(job.Endpoint) : 0, job.Progress, job.CreatedAt, job.StartedAt, job.CompletedAt,
        new JobUrls($"/jobs/{job.Id}", $"/jobs/{job.Id}/cancel", $"/jobs/{job.Id}/events"));

    /// <summary>Timings of a finished item.</summary>
    public static Timings TimingsOf(WorkItem item) =>
        new(item.QueueTime.TotalMilliseconds, (item.Clock.Elapsed - item.QueueTime).TotalMilliseconds, item.Clock.Elapsed.TotalMilliseconds, item.BatchItems);
}
