using Microsoft.Extensions.Options;
using StyleBridge.Api.Contracts;
using StyleBridge.Api.Services;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Endpoints;

/// <summary>GET /models, GET /health/live, GET /health/ready.</summary>
public static class SystemEndpoints
{
    public sealed record ModelsResponse(ModelInfo Model, IReadOnlyList<string> Methods, IReadOnlyList<string> EditMethods, int ImageSize,
        IReadOnlyDictionary<string, EndpointQueueOptions> Limits, string ApiVersion);

    public static IEndpointRouteBuilder MapSystemEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/models", (ModelHost models, ModelDescriptor model, IOptions<ServingOptions> serving) =>
        {
            var methods = new List<string>();
            if (models.TextToImage.Prior is not null) methods.Add("prior");
            if (models.TextToImage.Csla is not null) methods.Add("csla");
            var edit = new List<string>();
            if (models.Editing.Directions is not null) edit.Add("global");
            if (models.Editing.DeltaMapper is not null && models.Editing.Directions is not null) edit.Add("deltaedit");
            if (models.Editing.Csla is not null) edit.Add("csla");
            edit.Add("optimize");
            return TypedResults.Ok(new ModelsResponse(model.Info, methods, edit, models.Editing.Generator.Config.Size, serving.Value.Endpoints, InferenceDispatcher.ApiVersion));
        }).WithTags("System").WithName("Models").WithSummary("The model set: files and hashes, methods, limits");

        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }))
            .WithTags("System").WithName("Live").WithSummary("The process is up").AllowAnonymous();
        app.MapGet("/health/ready", (ServingHost host) => host.IsReady
                ? Results.Ok(new { status = "ready", warmup_seconds = host.WarmupSeconds })
                : Problems.Result(StatusCodes.Status503ServiceUnavailable, "not_ready", "models are warming up or the service is draining"))
            .WithTags("System").WithName("Ready").WithSummary("Models loaded, warmed up, worker running, not draining").AllowAnonymous();
        return app;
    }
}
