using StyleBridge.Api.Contracts;
using StyleBridge.Api.Services;
using StyleBridge.Engine.Generation;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Endpoints;

/// <summary>POST /generate.</summary>
public static class GenerateEndpoints
{
    public static RouteGroupBuilder MapGenerateEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/generate").WithTags("Generate");
        group.MapPost("/", Generate)
            .WithName("Generate")
            .WithSummary("Text to images")
            .WithDescription("CLIP text embedding → clip2latent prior or CSLA mappers → StyleGAN2, each image the best of num_candidates by CLIP score. " +
                             "Synchronous up to Prefer: wait=N seconds (default 30), else 202 with the job; Prefer: respond-async answers 202 at once.")
            .Accepts<GenerateBody>("application/json")
            .Produces<InferenceResponse>()
            .Produces<JobResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        return group;
    }

    internal static OutputFormat ParseFormat(string format) => format.ToLowerInvariant() switch
    {
        "png" => OutputFormat.Png,
        "jpeg" or "jpg" => OutputFormat.Jpeg,
        "webp" => OutputFormat.Webp,
        _ => throw new ArgumentException($"output_format: png, jpeg or webp, got '{format}'"),
    };

    internal static string ParseCacheMode(string mode) => mode.ToLowerInvariant() switch
    {
        "use" or "bypass" or "refresh" => mode.ToLowerInvariant(),
        _ => throw new ArgumentException($"cache: use, bypass or refresh, got '{mode}'"),
    };

    internal static void CheckCommon(int quality, int? timeoutMs)
    {
        if (quality is < 1 or > 100)
            throw new ArgumentException($"output_quality: must lie in [1, 100], got {quality}");
        if (timeoutMs is < 100 or > 120_000)
            throw new ArgumentException($"timeout_ms: must lie in [100, 120000], got {timeoutMs}");
    }

    private static async Task<IResult> Generate(GenerateBody body, HttpContext http, InferenceDispatcher dispatcher, ModelHost models, ModelDescriptor model)
    {
        GenerationRequest request;
        OutputFormat format;
        string cacheMode;
        try
        {
            if (body.Prompt.Length > 500)
                throw new ArgumentException($"prompt: at most 500 characters, got {body.Prompt.Length}");
            if (body.NumImages is < 1 or > 8)
                throw new ArgumentException($"num_images: must lie in [1, 8], got {body.NumImages}");
            if (body.Seed is < 0)
                throw new ArgumentException($"seed: must be ≥ 0, got {body.Seed}");
            CheckCommon(body.OutputQuality, body.TimeoutMs);
            format = ParseFormat(body.OutputFormat);
            cacheMode = ParseCacheMode(body.Cache);
            request = new GenerationRequest
            {
                Prompt = body.Prompt,
                Method = body.Method.ToLowerInvariant() switch
                {
                    "prior" => GenerationMethod.Prior,
                    "csla" => GenerationMethod.Csla,
                    _ => throw new ArgumentException($"method: prior or csla, got '{body.Method}'"),
                },
                NumImages = body.NumImages,
                NumCandidates = body.NumCandidates,
                Seed = body.Seed ?? Random.Shared.NextInt64(0, long.MaxValue),
                GuidanceScale = body.GuidanceScale,
                Steps = body.NumInferenceSteps,
                Truncation = body.TruncationPsi,
            };
            request.Validate();
            if (request.Method == GenerationMethod.Prior && models.TextToImage.Prior is null)
                throw new ArgumentException("method: this model set has no prior");
            if (request.Method == GenerationMethod.Csla && models.TextToImage.Csla is null)
                throw new ArgumentException("method: this model set has no CSLA mappers");
            // the prompt must fit CLIP's context (checked here, before the queue)
            models.TextToImage.Tokenizer.TokenizeBatch([request.Prompt]);
        }
        catch (ArgumentException e)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "validation_failed", e.Message);
        }
        catch (StyleBridge.Models.Clip.ClipTokenizerException e)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "prompt_too_long", e.Message);
        }

        double truncation = models.TextToImage.EffectiveTruncation(request);
        var parameters = new Dictionary<string, object?>
        {
            ["prompt"] = request.Prompt, ["method"] = body.Method.ToLowerInvariant(), ["num_images"] = request.NumImages,
            ["num_candidates"] = request.NumCandidates, ["guidance_scale"] = request.GuidanceScale, ["num_inference_steps"] = request.Steps,
            ["truncation_psi"] = truncation, ["seed"] = request.Seed, ["output_format"] = format.ToString().ToLowerInvariant(),
            ["output_quality"] = body.OutputQuality, ["return_latents"] = body.ReturnLatents,
        };
        // only deterministic requests are cached: an explicit seed
        string? cacheKey = body.Seed is null ? null : dispatcher.CacheKey("generate", parameters);
        var job = new GenerateJob(request, format, body.OutputQuality);
        string compatibility = $"{request.Method}|{request.Steps}|{request.GuidanceScale}|{truncation}";
        return await dispatcher.DispatchAsync(http, "generate", job, request.NumImages * request.NumCandidates, compatibility, cacheKey, cacheMode, body.TimeoutMs,
            (result, item, id) =>
            {
                var output = (GenerateOutput)result;
                return new InferenceResponse(id, model.Info,
                    [.. output.Images.Select(i => new ImageResult(Convert.ToBase64String(i.Data), i.ContentType, i.Seed, i.ClipScore))],
                    parameters, InferenceDispatcher.TimingsOf(item), cacheKey is null ? "bypass" : "miss",
                    body.ReturnLatents ? output.Latents : null,
                    body.ReturnLatents ? [models.Editing.Generator.NLatent, models.Editing.Generator.Config.StyleDim] : null);
            },
            requestHash: dispatcher.CacheKey("generate-request", body));
    }
}
