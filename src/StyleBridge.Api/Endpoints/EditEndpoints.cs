using Microsoft.Extensions.Options;
using StyleBridge.Api.Contracts;
using StyleBridge.Api.Services;
using StyleBridge.Engine.Editing;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Endpoints;

/// <summary>POST /edit and POST /invert: JSON with a base64 or data-URL image, or multipart/form-data with an <c>image</c> part.</summary>
public static class EditEndpoints
{
    public static IEndpointRouteBuilder MapEditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/edit", Edit).WithTags("Edit").WithName("Edit")
            .WithSummary("Edit an image or latent from source_text to target_text")
            .WithDescription("An image is inverted by the CSLA encoder first. Methods: global (StyleCLIP global directions: strength α, disentanglement β), " +
                             "deltaedit, csla, optimize (StyleCLIP latent optimisation). strengths gives one output per value (a sweep).")
            .Accepts<EditBody>("application/json", "multipart/form-data")
            .Produces<InferenceResponse>().Produces<JobResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery().RequireRateLimiting("per-key");
        app.MapPost("/invert", Invert).WithTags("Invert").WithName("Invert")
            .WithSummary("Image to W+ latent and reconstruction")
            .WithDescription("CLIP image embedding → CSLA mappers → W+/S → image; refine_steps > 0 adds optimisation (pixel + CLIP losses).")
            .Accepts<InvertBody>("application/json", "multipart/form-data")
            .Produces<InferenceResponse>().Produces<JobResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery().RequireRateLimiting("per-key");
        return app;
    }

    /// <summary>The body as <typeparamref name="T"/> (JSON) plus the image bytes (JSON field or multipart part).</summary>
    private static async Task<(T Body, byte[]? Image)> ReadAsync<T>(HttpRequest request, Func<T, string?> imageField, int maxBytes) where T : new()
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            var fields = form.Where(kv => kv.Key != "image").ToDictionary(kv => kv.Key, kv => (object?)ParseScalar(kv.Value.ToString()));
            var json = System.Text.Json.JsonSerializer.Serialize(fields);
            var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            var body = System.Text.Json.JsonSerializer.Deserialize<T>(json, options) ?? new T();
            byte[]? image = null;
            if (form.Files.GetFile("image") is { } file)
            {
                if (file.Length > maxBytes)
                    throw new ImageInputException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"image: larger than {maxBytes} bytes");
                using var stream = new MemoryStream();
                await file.CopyToAsync(stream, request.HttpContext.RequestAborted);
                image = stream.ToArray();
            }
            return (body, image);
        }
        if (request.HasJsonContentType())
        {
            var body = await request.ReadFromJsonAsync<T>(request.HttpContext.RequestAborted) ?? new T();
            return (body, imageField(body) is { } text ? ImageInput.FromText(text, maxBytes) : null);
        }
        throw new ImageInputException(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "send application/json or multipart/form-data");
    }

    private static object? ParseScalar(string value) =>
        bool.TryParse(value, out bool b) ? b
        : long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long l) ? l
        : double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) ? d
        : value;

    private static IResult Problem(Exception e) => e switch
    {
        ImageInputException i => Problems.Result(i.Status, i.Type, i.Message),
        System.Text.Json.JsonException or BadHttpRequestException or InvalidDataException => Problems.Result(StatusCodes.Status400BadRequest, "malformed_request", e.Message),
        _ => Problems.Result(StatusCodes.Status422UnprocessableEntity, "validation_failed", e.Message),
    };

    private static EditMethod ParseMethod(string method) => method.ToLowerInvariant() switch
    {
        "global" or "global_direction" => EditMethod.Global,
        "deltaedit" => EditMethod.DeltaEdit,
        "csla" => EditMethod.Csla,
        "optimize" => EditMethod.Optimize,
        _ => throw new ArgumentException($"method: global, deltaedit, csla or optimize, got '{method}'"),
    };

    private static void CheckRefineSteps(int steps)
    {
        if (steps is < 0 or > EditRequest.MaxOptimizationSteps)
            throw new ArgumentException($"refine_steps: must lie in [0, {EditRequest.MaxOptimizationSteps}], got {steps}");
    }

    private static async Task<IResult> Edit(HttpContext http, InferenceDispatcher dispatcher, ModelHost models, ModelDescriptor model, IOptions<ApiOptions> api)
    {
        EditBody body;
        byte[]? imageBytes;
        EditJob job;
        string cacheMode;
        var g = models.Editing.Generator;
        try
        {
            (body, imageBytes) = await ReadAsync<EditBody>(http.Request, b => b.Image, api.Value.MaxImageBytes);
            if ((imageBytes is null) == (body.Latent is null))
                throw new ArgumentException("give exactly one of image and latent");
            int latentLength = g.NLatent * g.Config.StyleDim;
            if (body.Latent is { } latent && latent.Length != latentLength)
                throw new ArgumentException($"latent: needs {latentLength} values (W+ [{g.NLatent}, {g.Config.StyleDim}]), got {latent.Length}");
            if (body.Latent is { } l && l.Any(v => !float.IsFinite(v)))
                throw new ArgumentException("latent: every value must be finite");
            CheckRefineSteps(body.RefineSteps);
            var refineSpace = RefineSpaceNames.Parse(body.RefineSpace);
            if (imageBytes is null && body.RefineSteps != 0)
                throw new ArgumentException("refine_steps: refines an image's inversion; a latent is edited as it is");
            if (body.Strengths is { Length: > 8 })
                throw new ArgumentException($"strengths: at most 8, got {body.Strengths.Length}");
            GenerateEndpoints.CheckCommon(body.OutputQuality, body.TimeoutMs);
            cacheMode = GenerateEndpoints.ParseCacheMode(body.Cache);
            var request = new EditRequest
            {
                Source = body.SourceText, Target = body.TargetText, Method = ParseMethod(body.Method), Strength = body.Strength,
                Disentanglement = body.Disentanglement, Steps = body.Steps, FirstLayer = body.FirstLayer, ColourLayers = body.ColourLayers,
            };
            request.Validate();
            models.Editing.CheckFirstLayer(request);
            var strengths = body.Strengths is { Length: > 0 } s ? s : [models.Editing.StrengthOf(request)];
            foreach (double strength in strengths)
                (request with { Strength = strength }).Validate();
            if (request.Method is EditMethod.Global or EditMethod.DeltaEdit && models.Editing.Directions is null)
                throw new ArgumentException("method: this model set has no global directions (directions.safetensors)");
            if (request.Method == EditMethod.DeltaEdit && models.Editing.DeltaMapper is null)
                throw new ArgumentException("method: this model set has no DeltaEdit mapper");
            if ((request.Method == EditMethod.Csla || imageBytes is not null) && models.Editing.Csla is null)
                throw new ArgumentException("this model set has no CSLA mappers (needed to invert images and for method csla)");
            models.Editing.Tokenizer.TokenizeBatch([request.Source, request.Target]);
            float[]? pixels = imageBytes is null ? null : ImageInput.Decode(imageBytes, g.Config.Size, api.Value.MaxImageBytes);
            job = new EditJob(pixels, body.Latent, request, strengths, body.IncludeReconstruction, GenerateEndpoints.ParseFormat(body.OutputFormat), body.OutputQuality,
                body.RefineSteps, refineSpace);
        }
        catch (Exception e) when (e is ArgumentException or ImageInputException or System.Text.Json.JsonException or BadHttpRequestException or InvalidDataException
                                      or StyleBridge.Models.Clip.ClipTokenizerException)
        {
            return e is StyleBridge.Models.Clip.ClipTokenizerException
                ? Problems.Result(StatusCodes.Status422UnprocessableEntity, "prompt_too_long", e.Message)
                : Problem(e);
        }

        var parameters = new Dictionary<string, object?>
        {
            ["source_text"] = job.Request.Source, ["target_text"] = job.Request.Target, ["method"] = job.Request.Method.ToString().ToLowerInvariant(),
            ["strengths"] = job.Strengths, ["disentanglement"] = job.Request.Disentanglement, ["steps"] = job.Request.Steps, ["first_layer"] = job.Request.FirstLayer, ["colour_layers"] = job.Request.ColourLayers,
            ["include_reconstruction"] = job.IncludeReconstruction, ["refine_steps"] = job.RefineSteps, ["refine_space"] = job.RefineSpace.Name(),
            ["output_format"] = job.Format.ToString().ToLowerInvariant(), ["output_quality"] = job.Quality,
        };
        byte[] input = imageBytes ?? System.Runtime.InteropServices.MemoryMarshal.AsBytes(body.Latent.AsSpan()).ToArray();
        string cacheKey = dispatcher.CacheKey("edit", parameters, input);
        return await dispatcher.DispatchAsync(http, "edit", job, job.Strengths.Count, $"{job.Request.Method}", cacheKey, cacheMode, body.TimeoutMs,
            (result, item, id) =>
            {
                var output = (EditOutput)result;
                var metrics = output.ChannelsManipulated >= 0 ? new Dictionary<string, double> { ["channels_manipulated"] = output.ChannelsManipulated } : null;
                return new InferenceResponse(id, model.Info, [.. output.Images.Select(i => new ImageResult(Convert.ToBase64String(i.Data), i.ContentType))],
                    parameters, InferenceDispatcher.TimingsOf(item), "miss", [output.Latent], [g.NLatent, g.Config.StyleDim],
                    output.Reconstruction is { } r ? new ImageResult(Convert.ToBase64String(r.Data), r.ContentType) : null, metrics);
            });
    }

    private static async Task<IResult> Invert(HttpContext http, InferenceDispatcher dispatcher, ModelHost models, ModelDescriptor model, IOptions<ApiOptions> api)
    {
        InvertBody body;
        InvertJob job;
        byte[] imageBytes;
        string cacheMode;
        var g = models.Editing.Generator;
        try
        {
            (body, var bytes) = await ReadAsync<InvertBody>(http.Request, b => b.Image, api.Value.MaxImageBytes);
            imageBytes = bytes ?? throw new ArgumentException("image: required");
            CheckRefineSteps(body.RefineSteps);
            var refineSpace = RefineSpaceNames.Parse(body.RefineSpace);
            if (models.Editing.Csla is null)
                throw new ArgumentException("this model set has no CSLA mappers (the inversion encoder)");
            GenerateEndpoints.CheckCommon(body.OutputQuality, body.TimeoutMs);
            cacheMode = GenerateEndpoints.ParseCacheMode(body.Cache);
            job = new InvertJob(ImageInput.Decode(imageBytes, g.Config.Size, api.Value.MaxImageBytes), body.RefineSteps,
                GenerateEndpoints.ParseFormat(body.OutputFormat), body.OutputQuality, refineSpace);
        }
        catch (Exception e) when (e is ArgumentException or ImageInputException or System.Text.Json.JsonException or BadHttpRequestException or InvalidDataException)
        {
            return Problem(e);
        }

        var parameters = new Dictionary<string, object?>
        {
            ["refine_steps"] = job.RefineSteps, ["refine_space"] = job.RefineSpace.Name(), ["output_format"] = job.Format.ToString().ToLowerInvariant(), ["output_quality"] = job.Quality,
        };
        string cacheKey = dispatcher.CacheKey("invert", parameters, imageBytes);
        return await dispatcher.DispatchAsync(http, "invert", job, 1, $"refine{job.RefineSteps}{job.RefineSpace.Name()}", cacheKey, cacheMode, body.TimeoutMs,
            (result, item, id) =>
            {
                var output = (InvertOutput)result;
                var image = new ImageResult(Convert.ToBase64String(output.Reconstruction.Data), output.Reconstruction.ContentType);
                return new InferenceResponse(id, model.Info, [image], parameters, InferenceDispatcher.TimingsOf(item), "miss",
                    [output.Latent], output.LatentShape[1..], image, new Dictionary<string, double> { ["psnr_db"] = output.Psnr });
            });
    }
}
