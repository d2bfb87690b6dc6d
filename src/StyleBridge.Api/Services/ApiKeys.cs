using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace StyleBridge.Api.Services;

/// <summary>
/// API keys (<c>Authorization: Bearer</c> or <c>X-API-Key</c>), compared by SHA-256 against the configured hashes.
/// With no key configured every request is anonymous (development); with keys, a missing or unknown key is 401.
/// The key's hash names its rate-limit partition and queue quota.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ApiOptions> options)
{
    private static readonly string[] Open = ["/health", "/metrics", "/swagger", "/openapi"];

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task InvokeAsync(HttpContext http)
    {
        var keys = options.Value.ApiKeys;
        string? presented = null;
        string auth = http.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            presented = auth[7..].Trim();
        else if (http.Request.Headers.TryGetValue("X-API-Key", out var header))
            presented = header.ToString();

        string path = http.Request.Path.Value ?? "/";
        bool open = path == "/" || path.StartsWith("/index", StringComparison.Ordinal) || Open.Any(p => path.StartsWith(p, StringComparison.Ordinal));
        if (keys.Count == 0)
        {
            http.Items["api_key"] = presented is null ? "anonymous:" + http.Connection.RemoteIpAddress : Hash(presented);
        }
        else if (presented is not null && keys.Contains(Hash(presented), StringComparer.OrdinalIgnoreCase))
        {
            http.Items["api_key"] = Hash(presented);
        }
        else if (!open)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Result(StatusCodes.Status401Unauthorized, "unauthorized",
                presented is null ? "an API key is required (Authorization: Bearer <key>)" : "unknown API key").ExecuteAsync(http);
            return;
        }
        await next(http);
    }
}
