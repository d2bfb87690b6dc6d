using Microsoft.AspNetCore.Mvc;
using StyleBridge.Engine.Serving;

namespace StyleBridge.Api.Services;

/// <summary>RFC 9457 problem details for every error the service returns (api.md §4.6 types).</summary>
public static class Problems
{
    public static ProblemDetails Create(int status, string type, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Type = "https://stylebridge.dev/problems/" + type,
            Title = type.Replace('_', ' '),
            Detail = detail,
        };
        problem.Extensions["code"] = type;
        if (extensions is not null)
            foreach (var (k, v) in extensions)
                problem.Extensions[k] = v;
        return problem;
    }

    public static IResult Result(int status, string type, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(Create(status, type, detail, extensions));

    /// <summary>The problem for a failed work item.</summary>
    public static ProblemDetails For(Exception e) => e switch
    {
        ArgumentException a => Create(StatusCodes.Status422UnprocessableEntity, "validation_failed", a.Message),
        StyleBridge.Models.Clip.ClipTokenizerException t => Create(StatusCodes.Status422UnprocessableEntity, "prompt_too_long", t.Message),
        DeadlineExceededException d => Create(StatusCodes.Status504GatewayTimeout, "deadline_exceeded", d.Message, new Dictionary<string, object?> { ["stage"] = d.Stage }),
        QueueRejectedException { Reason: RejectionReason.Quota } q => Create(StatusCodes.Status429TooManyRequests, "quota_exceeded", q.Message),
        QueueRejectedException q => Create(StatusCodes.Status503ServiceUnavailable, q.Reason == RejectionReason.Draining ? "shutting_down" : "queue_full", q.Message),
        OperationCanceledException => Create(StatusCodes.Status409Conflict, "canceled", "the job was canceled"),
        _ when e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) => Create(StatusCodes.Status500InternalServerError, "gpu_oom", "the item did not fit in memory"),
        _ => Create(StatusCodes.Status500InternalServerError, "internal_error", "an unexpected error occurred"),
    };
}
