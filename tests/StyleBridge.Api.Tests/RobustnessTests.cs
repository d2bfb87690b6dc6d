using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;

namespace StyleBridge.Api.Tests;

/// <summary>Deadlines, cancellation, a corpus of bad requests, batch independence through the API, and the drain.</summary>
[Collection(Alone.Name)]
public sealed class RobustnessTests : IClassFixture<ApiTests.Fixture>
{
    private readonly ApiTests.Fixture fixture;

    public RobustnessTests(ApiTests.Fixture fixture) => this.fixture = fixture;

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_deadline_that_passes_is_504_deadline_exceeded()
    {
        var response = await Client.PostJson("/generate", new { prompt = "a large blue circle", num_images = 8, num_candidates = 16, timeout_ms = 100 });
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var problem = await response.Json();
        Assert.Equal("deadline_exceeded", problem.GetProperty("code").GetString());
        Assert.Contains(problem.GetProperty("stage").GetString(), new[] { "queued", "running" });
    }

    [Fact]
    public async Task A_cancelled_job_never_completes_with_a_result()
    {
        // a long job first, so the second one is still queued when it is cancelled
        var first = await Client.PostJson("/generate", new { prompt = "a shape", num_images = 8, num_candidates = 16 }, prefer: "respond-async");
        var second = await Client.PostJson("/generate", new { prompt = "a shape", num_images = 1, num_candidates = 1, seed = 99 }, prefer: "respond-async");
        string id = (await second.Json()).GetProperty("id").GetString()!;
        var cancel = await Client.PostAsync($"/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await Client.GetStringAsync($"/jobs/{id}/events");
        var job = await (await Client.GetAsync($"/jobs/{id}")).Json();
        Assert.Equal("canceled", job.GetProperty("status").GetString());
        await Client.GetStringAsync($"/jobs/{(await first.Json()).GetProperty("id").GetString()}/events");
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "/generate", "application/json", "" },
        { "/generate", "application/json", "{" },
        { "/generate", "application/json", "[]" },
        { "/generate", "application/json", "{\"prompt\": 42}" },
        { "/generate", "application/json", "{\"prompt\": \"a\", \"num_images\": \"many\"}" },
        { "/generate", "application/json", "{\"prompt\": \"a\", \"seed\": -1}" },
        { "/generate", "application/json", "{\"prompt\": \"a\", \"guidance_scale\": 1e999}" },
        { "/generate", "application/json", "{\"prompt\": \"a\", \"timeout_ms\": 5}" },
        { "/generate", "text/plain", "a blue square" },
        { "/invert", "application/json", "{}" },
        { "/invert", "application/json", "{\"image\": \"data:image/png;base64,AAAA\"}" },
        { "/invert", "application/json", "{\"image\": \"data:text/plain,hello\"}" },
        { "/invert", "application/json", "{\"image\": \"iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\"}" },
        { "/invert", "application/json", "{\"image\": 7}" },
        { "/invert", "text/plain", "nothing" },
        { "/edit", "application/json", "{\"latent\": [1, 2], \"source_text\": \"a\", \"target_text\": \"b\"}" },
        { "/edit", "application/json", "{\"latent\": \"no\", \"source_text\": \"a\", \"target_text\": \"b\"}" },
        { "/edit", "application/json", "{\"source_text\": \"a\", \"target_text\": \"b\"}" },
        { "/edit", "application/json", "{\"image\": \"AAAA\", \"source_text\": \"\", \"target_text\": \"b\"}" },
        { "/edit", "application/json", "{\"image\": \"AAAA\", \"source_text\": \"a\", \"target_text\": \"b\", \"method\": \"magic\"}" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_are_4xx_problems_and_nothing_runs(string path, string contentType, string body)
    {
        string Items(string metrics) => string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("inference_items_total", StringComparison.Ordinal)));
        // jobs of earlier tests (the long ones that cancellation and deadlines need) finish first
        var worker = fixture.Factory.Services.GetRequiredService<StyleBridge.Engine.Serving.BatchingWorker>();
        Assert.True(SpinWait.SpinUntil(() => worker.IsIdle, TimeSpan.FromMinutes(3)), "the worker never became idle");
        string before = Items(await Client.GetStringAsync("/metrics"));
        var response = await Client.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));
        int status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{path} {body}: {status} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(before, Items(await Client.GetStringAsync("/metrics")));
    }

    [Fact]
    public async Task A_decompression_bomb_is_refused_from_its_header()
    {
        // a valid PNG header claiming 100 000 × 100 000 pixels
        var png = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' };
        png.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(100_000)));
        png.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(100_000)));
        png.AddRange([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        var response = await Client.PostJson("/invert", new { image = Convert.ToBase64String(png.ToArray()) });
        Assert.True((int)response.StatusCode is 413 or 415, $"{response.StatusCode}");
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task An_image_is_the_same_alone_and_in_a_full_batch()
    {
        var request = new { prompt = "a yellow square at the bottom", num_images = 1, num_candidates = 4, seed = 314, cache = "bypass" };
        string alone = (await (await Client.PostJson("/generate", request)).Json()).GetProperty("images")[0].GetProperty("data").GetString()!;
        // the same request among others that fill the batch
        var others = Enumerable.Range(0, 6).Select(i => Client.PostJson("/generate", new { prompt = "a red circle", num_images = 2, num_candidates = 4, seed = 1000 + i, cache = "bypass" })).ToList();
        var same = Client.PostJson("/generate", request);
        await Task.WhenAll(others.Append(same));
        var json = await (await same).Json();
        Assert.Equal(alone, json.GetProperty("images")[0].GetProperty("data").GetString());
    }

    [Fact]
    public async Task Identical_requests_in_flight_run_once()
    {
        var body = new { prompt = "a small magenta triangle", num_images = 1, num_candidates = 8, seed = 4242 };
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client.PostJson("/generate", body)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var states = responses.Select(r => r.Headers.GetValues("X-Cache").Single()).ToList();
        Assert.Equal(1, states.Count(s => s == "MISS"));
        var images = await Task.WhenAll(responses.Select(async r => (await r.Json()).GetProperty("images").GetRawText()));
        Assert.Single(images.Distinct());
    }

    [Fact]
    public async Task The_drain_finishes_every_accepted_request()
    {
        var factory = new ServiceFactory();
        var client = await factory.ReadyClientAsync();
        var ids = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            var accepted = await client.PostJson("/generate", new { prompt = "a shape", num_images = 2, num_candidates = 4, seed = 50 + i }, prefer: "respond-async");
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            ids.Add((await accepted.Json()).GetProperty("id").GetString()!);
        }
        var jobs = (StyleBridge.Api.Services.JobStore)factory.Services.GetService(typeof(StyleBridge.Api.Services.JobStore))!;
        await factory.DisposeAsync(); // SIGTERM's path: StopAsync drains
        Assert.All(ids, id => Assert.Equal(StyleBridge.Api.Services.JobStatus.Succeeded, jobs.Find(id)!.Status));
    }

    [Fact]
    public async Task An_idempotency_key_returns_the_same_job_and_refuses_another_body()
    {
        async Task<HttpResponseMessage> Send(object body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/generate") { Content = System.Net.Http.Json.JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "order-7");
            return await Client.SendAsync(request);
        }

        var body = new { prompt = "a green square", num_images = 1, num_candidates = 2 };
        var first = await Send(body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var again = await Send(body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((await first.Json()).GetProperty("request_id").GetString(), (await again.Json()).GetProperty("request_id").GetString());
        var other = await Send(new { prompt = "a red square", num_images = 1, num_candidates = 2 });
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal("idempotency_key_reused", (await other.Json()).GetProperty("code").GetString());
    }
}

/// <summary>
/// Tests that compare /metrics before and after run alone: every service in this process records into the same named
/// meters, so a service of another test class running beside them would move the figures.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Alone
{
    public const string Name = "alone";
}
