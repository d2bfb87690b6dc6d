using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using StyleBridge.Api.Endpoints;
using StyleBridge.Api.Services;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Engine.Serving;

var builder = WebApplication.CreateBuilder(args);

builder.Services.Configure<ApiOptions>(builder.Configuration.GetSection(ApiOptions.Section));
builder.Services.Configure<ServingOptions>(builder.Configuration.GetSection(ServingOptions.Section));
builder.Services.Configure<CacheOptions>(builder.Configuration.GetSection(CacheOptions.Section));
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
    o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
    o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals;
});
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ApiExceptionHandler>();
builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
{
    document.Info.Title = "StyleBridge";
    document.Info.Description = "Text to image, text-driven editing and inversion with CLIP and StyleGAN2. Errors are RFC 9457 problem details.";
    return Task.CompletedTask;
}));

// models, queue, worker: one model host per process, one worker thread runs every model
builder.Services.AddSingleton(sp =>
{
    var api = sp.GetRequiredService<IOptions<ApiOptions>>().Value;
    if (api.Threads is { } threads)
        TorchRuntime.Initialize(threads);
    return ModelSet.Open(api.ModelsDirectory);
});
builder.Services.AddSingleton(sp => new ModelHost(sp.GetRequiredService<ModelSet>()));
builder.Services.AddSingleton(sp => new ModelDescriptor(sp.GetRequiredService<ModelSet>()));
builder.Services.AddSingleton(sp => new InferenceQueue(sp.GetRequiredService<IOptions<ServingOptions>>().Value));
builder.Services.AddSingleton(sp =>
{
    var telemetry = new ServingTelemetry();
    telemetry.ObserveQueue(sp.GetRequiredService<InferenceQueue>());
    return telemetry;
});
builder.Services.AddSingleton<IBatchExecutor, GenerateExecutor>();
builder.Services.AddSingleton<IBatchExecutor, EditExecutor>();
builder.Services.AddSingleton<IBatchExecutor, InvertExecutor>();
builder.Services.AddSingleton<BatchingWorker>();
builder.Services.AddSingleton<ServingHost>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ServingHost>());
builder.Services.AddSingleton<JobStore>();
builder.Services.AddSingleton<SingleFlight>();
builder.Services.AddSingleton<InferenceDispatcher>();
builder.Services.AddSingleton<IResultCache>(sp => string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<CacheOptions>>().Value.Redis)
    ? ActivatorUtilities.CreateInstance<MemoryResultCache>(sp)
    : ActivatorUtilities.CreateInstance<RedisResultCache>(sp));
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

// per-key rate limit (token bucket), 429 with Retry-After and RateLimit-* headers
builder.Services.AddRateLimiter(o =>
{
    o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
    o.OnRejected = async (context, token) =>
    {
        var limits = context.HttpContext.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RateLimit;
        int retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
        var headers = context.HttpContext.Response.Headers;
        headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers["RateLimit-Limit"] = limits.PermitsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers["RateLimit-Remaining"] = "0";
        headers["RateLimit-Reset"] = headers.RetryAfter;
        context.HttpContext.RequestServices.GetRequiredService<ServingTelemetry>().Rejected.Add(1,
            new("endpoint", context.HttpContext.Request.Path.Value), new("reason", "rate_limited"));
        await Problems.Result(StatusCodes.Status429TooManyRequests, "rate_limited", "too many requests for this API key").ExecuteAsync(context.HttpContext);
    };
    o.AddPolicy("per-key", http =>
    {
        var limits = http.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RateLimit;
        string partition = http.Items["api_key"] as string ?? "anonymous";
        return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, limits.Burst),
            TokensPerPeriod = Math.Max(1, limits.PermitsPerMinute),
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    });
});

// telemetry: our spans and meters, ASP.NET Core and runtime instrumentation, Prometheus at /metrics, OTLP when configured
string? otlp = builder.Configuration["Telemetry:OtlpEndpoint"];
builder.Services.AddOpenTelemetry()
    .ConfigureResource(r => r.AddService("stylebridge-api"))
    .WithMetrics(m =>
    {
        m.AddMeter(ServingTelemetry.Name).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddPrometheusExporter();
        if (!string.IsNullOrWhiteSpace(otlp))
            m.AddOtlpExporter(e => e.Endpoint = new Uri(otlp));
    })
    .WithTracing(t =>
    {
        t.AddSource(ServingTelemetry.Name).AddAspNetCoreInstrumentation();
        if (!string.IsNullOrWhiteSpace(otlp))
            t.AddOtlpExporter(e => e.Endpoint = new Uri(otlp));
    });

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseMiddleware<ApiKeyMiddleware>();
app.UseRateLimiter();

app.MapOpenApi("/openapi/{documentName}.json");
app.UseSwaggerUI(o =>
{
    o.SwaggerEndpoint("/openapi/v1.json", "StyleBridge v1");
    o.RoutePrefix = "swagger";
});
app.MapPrometheusScrapingEndpoint("/metrics");
app.MapGenerateEndpoints().RequireRateLimiting("per-key");
app.MapEditEndpoints();
app.MapJobEndpoints();
app.MapSystemEndpoints();

app.Run();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
