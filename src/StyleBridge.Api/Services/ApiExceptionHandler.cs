using Microsoft.AspNetCore.Diagnostics;

namespace StyleBridge.Api.Services;

/// <summary>Unhandled exceptions as problem details: a malformed body is 400 <c>malformed_request</c>, anything else 500 <c>internal_error</c>.</summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var result = exception switch
        {
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                Problems.Result(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "the request body is too large"),
            BadHttpRequestException bad => Problems.Result(bad.StatusCode, "malformed_request", bad.Message),
            _ => null,
        };
        if (result is null)
        {
            logger.LogError(exception, "unhandled error on {Path}", http.Request.Path);
            result = Problems.Result(StatusCodes.Status500InternalServerError, "internal_error", "an unexpected error occurred");
        }
        await result.ExecuteAsync(http);
        return true;
    }
}
