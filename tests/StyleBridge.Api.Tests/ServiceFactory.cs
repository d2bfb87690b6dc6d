using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace StyleBridge.Api.Tests;

/// <summary>
/// The real service in-process (real models through TorchSharp, the real HTTP pipeline) on the repository's Shapes
/// model set (<c>weights/shapes</c>, or <c>STYLEBRIDGE_TEST_MODELS</c>), with extra configuration per test class.
/// </summary>
public sealed class ServiceFactory(IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public static string ModelsDirectory =>
        Environment.GetEnvironmentVariable("STYLEBRIDGE_TEST_MODELS") is { Length: > 0 } dir ? dir : Path.Combine(RepositoryRoot(), "weights", "shapes");

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "global.json")))
                return dir.FullName;
        throw new DirectoryNotFoundException("no global.json above the test assembly");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(config =>
        {
            var values = new Dictionary<string, string?>
            {
                ["StyleBridge:ModelsDirectory"] = ModelsDirectory,
                ["StyleBridge:Threads"] = "1",
                ["StyleBridge:RateLimit:PermitsPerMinute"] = "100000",
                ["StyleBridge:RateLimit:Burst"] = "100000",
                ["Serving:MaxQueuedPerApiKey"] = "100000",
                ["Serving:PreferredBatchSizes:0"] = "1",
                ["Serving:PreferredBatchSizes:1"] = "1",
            };
            foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
                values[k] = v;
            config.AddInMemoryCollection(values);
        });
    }

    /// <summary>A client once /health/ready answers 200 (warm-up done).</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = CreateClient();
        for (int i = 0; i < 600; i++)
        {
            var response = await client.GetAsync("/health/ready");
            if (response.IsSuccessStatusCode)
                return client;
            await Task.Delay(100);
        }
        throw new TimeoutException("the service did not become ready");
    }
}

/// <summary>Helpers for requests and their JSON.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, object body, string? prefer = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (prefer is not null)
            request.Headers.Add("Prefer", prefer);
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    public static async Task<System.Text.Json.JsonElement> Json(this HttpResponseMessage response) =>
        System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>A PNG of the world: a render from the Shapes renderer, at 64 px.</summary>
    public static byte[] SamplePng(ulong seed = 1)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var scenes = new StyleBridge.Engine.World.ShapeSampler(seed).SampleBatch(1);
        var image = StyleBridge.Imaging.ImageTensors.FromTensor(StyleBridge.Engine.World.ShapeSampler.Render(scenes))[0];
        return StyleBridge.Imaging.ImageEncoder.EncodePng(image);
    }
}
