using Microsoft.Extensions.DependencyInjection;
using System.Net;

namespace StyleBridge.Api.Tests;

/// <summary>Queue capacity, API keys and rate limits, each on a service configured for it.</summary>
public sealed class PolicyTests
{
    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Serving:Endpoints:generate:QueueCapacity"] = "8" });
        var client = await factory.ReadyClientAsync();
        var response = await client.PostJson("/generate", new { prompt = "a shape", num_images = 1, num_candidates = 16 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter is not null);
        Assert.Equal("queue_full", (await response.Json()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Configured_keys_are_required_and_checked_by_hash()
    {
        string hash = StyleBridge.Api.Services.ApiKeyMiddleware.Hash("secret-key");
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["StyleBridge:ApiKeys:0"] = hash });
        var client = await factory.ReadyClientAsync();
        var anonymous = await client.PostJson("/generate", new { prompt = "a shape", num_candidates = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJson("/generate", new { prompt = "a shape", num_candidates = 1 })).StatusCode);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "secret-key");
        Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/generate", new { prompt = "a shape", num_candidates = 1 })).StatusCode);
    }

    [Fact]
    public async Task The_rate_limit_answers_429_with_rate_limit_headers()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["StyleBridge:RateLimit:PermitsPerMinute"] = "1",
            ["StyleBridge:RateLimit:Burst"] = "1",
        });
        var client = await factory.ReadyClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/generate", new { prompt = "a shape", num_candidates = 1 })).StatusCode);
        var limited = await client.PostJson("/generate", new { prompt = "a shape", num_candidates = 1 });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter is not null);
        Assert.True(limited.Headers.Contains("RateLimit-Limit"));
    }

    [Fact]
    public async Task A_key_over_its_queue_quota_gets_429_while_others_are_served()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Serving:MaxQueuedPerApiKey"] = "4" });
        var client = await factory.ReadyClientAsync();
        // the worker is busy with the first; the second waits in the queue (other steps: not batched with the first);
        // the third would take the key over its 4 queued items
        var first = await client.PostJson("/generate", new { prompt = "a shape", num_images = 8, num_candidates = 16 }, prefer: "respond-async");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        // until the worker has taken it, the first one's 8 items still count against the key
        var location = first.Headers.Location!.ToString();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await (await client.GetAsync(location)).Json()).TryGetProperty("status", out var status) && status.GetString() == "queued" && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        var second = await client.PostJson("/generate", new { prompt = "a shape", num_images = 1, num_candidates = 2, num_inference_steps = 5 }, prefer: "respond-async");
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var third = await client.PostJson("/generate", new { prompt = "a shape", num_images = 1, num_candidates = 4, num_inference_steps = 5 });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("quota_exceeded", (await third.Json()).GetProperty("code").GetString());
        Assert.True(third.Headers.RetryAfter is not null);
        // a refused request leaves no job behind (one would hold up the drain until its timeout)
        var jobs = factory.Services.GetRequiredService<StyleBridge.Api.Services.JobStore>();
        Assert.True(jobs.Unfinished <= 2, $"{jobs.Unfinished} unfinished jobs after two accepted requests");
    }

    [Fact]
    public async Task Finished_jobs_are_retained_up_to_the_configured_number_oldest_first()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["StyleBridge:MaxRetainedJobs"] = "2" });
        var client = await factory.ReadyClientAsync();
        var locations = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            var accepted = await client.PostJson("/generate", new { prompt = "a shape", num_candidates = 1, seed = 700 + i, cache = "bypass" },
                prefer: "respond-async", idempotencyKey: $"retained-{i}");
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            string location = accepted.Headers.Location!.ToString();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            // a finished job answers its result; one still going answers its status
            while ((await (await client.GetAsync(location)).Json()).TryGetProperty("status", out var status)
                   && status.GetString() is "queued" or "running" && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            locations.Add(location);
        }
        var jobs = factory.Services.GetRequiredService<StyleBridge.Api.Services.JobStore>();
        Assert.True(SpinWait.SpinUntil(() => jobs.Count == 2, TimeSpan.FromSeconds(5)), $"{jobs.Count} jobs held");
        Assert.Equal(2, jobs.IdempotencyKeys); // a retired job's key goes with it, so unique keys cannot grow the store
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(locations[0])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(locations[2])).StatusCode);
        // a retained job keeps its response alone: the request's payload and raw result go with its work item
        var kept = jobs.Find(locations[2].Split('/')[^1]);
        Assert.NotNull(kept);
        Assert.NotNull(kept.Response);
        Assert.Null(kept.Item);
        Assert.Equal(1, kept.Progress);
    }

    [Fact]
    public async Task Finished_jobs_are_retained_within_the_response_byte_budget()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["StyleBridge:MaxRetainedResponseBytes"] = "1" });
        var client = await factory.ReadyClientAsync();
        var response = await client.PostJson("/generate", new { prompt = "a shape", num_candidates = 1, seed = 801, cache = "bypass" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jobs = factory.Services.GetRequiredService<StyleBridge.Api.Services.JobStore>();
        // the response (far over one byte) was answered, then not kept
        Assert.True(SpinWait.SpinUntil(() => jobs.Count == 0, TimeSpan.FromSeconds(5)), $"{jobs.Count} jobs held");
        Assert.Equal(0, jobs.RetainedResponseBytes);
    }
}
