using StyleBridge.Api.Contracts;
using StyleBridge.Api.Services;

namespace StyleBridge.Api.Endpoints;

/// <summary>GET /jobs/{id}, POST /jobs/{id}/cancel, GET /jobs/{id}/events (server-sent events).</summary>
public static class JobEndpoints
{
    public static RouteGroupBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/jobs").WithTags("Jobs");
        group.MapGet("/{id}", Get).WithName("GetJob").WithSummary("A job's status, and its result when it succeeded")
            .Produces<JobResponse>().Produces<InferenceResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/cancel", Cancel).WithName("CancelJob").WithSummary("Cancel a queued or running job (idempotent)")
            .Produces<JobResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/events", Events).WithName("JobEvents").WithSummary("Server-sent events: queued, started, completed")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    private static IResult NotFound(string id) => Problems.Result(StatusCodes.Status404NotFound, "not_found", $"no job '{id}' (unknown or expired)");

    private static IResult Get(string id, JobStore jobs, InferenceDispatcher dispatcher, HttpContext http)
    {
        if (jobs.Find(id) is not { } job)
            return NotFound(id);
        if (job.Status == JobStatus.Succeeded && job.Response is { } body)
            return TypedResults.Bytes(body, "application/json");
        if (job.Problem is { } problem && job.Status == JobStatus.Failed)
            return TypedResults.Problem(problem);
        return TypedResults.Ok(dispatcher.JobView(job));
    }

    private static IResult Cancel(string id, JobStore jobs, InferenceDispatcher dispatcher)
    {
        if (jobs.Find(id) is not { } job)
            return NotFound(id);
        if (job.CompletedAt is null)
            job.RequestCancel();
        return TypedResults.Ok(dispatcher.JobView(job));
    }

    private static async Task Events(string id, JobStore jobs, HttpContext http)
    {
        if (jobs.Find(id) is not { } job)
        {
            await NotFound(id).ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var reader = job.Subscribe();
        await foreach (string name in reader.ReadAllAsync(http.RequestAborted))
        {
            string data = System.Text.Json.JsonSerializer.Serialize(new { id = job.Id, status = job.Status.ToString().ToLowerInvariant() });
            await http.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
        }
    }
}
