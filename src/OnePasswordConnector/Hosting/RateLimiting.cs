using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace OnePasswordConnector.Hosting;

internal sealed class ApiLimitsOptions
{
    public const string Section = "ApiLimits";

    /// <summary>Requests each API key may make per minute; anonymous callers share one budget per IP address.</summary>
    [Range(1, 1_000_000)]
    public int PermitsPerMinute { get; set; } = 600;

    /// <summary>The largest request body the API accepts, in bytes. Registration bodies are a few hundred bytes.</summary>
    [Range(1024, 10_485_760)]
    public int MaxRequestBodyBytes { get; set; } = 65_536;
}

/// <summary>A path that takes bodies larger than ApiLimits:MaxRequestBodyBytes, up to its own limit (an evidence package to verify).</summary>
internal sealed record LargeBodyPath(string Path, long MaxBytes);

internal static class RateLimiting
{
    public const string Policy = "per-api-key";

    /// <summary>The longest path and query string the API answers, in characters: Kestrel's default request-line limit.</summary>
    public const int MaxRequestTargetLength = 8192;

    /// <summary>
    /// Kestrel answers a request line over its limit with a bare 414 before any middleware runs; raised above
    /// <see cref="MaxRequestTargetLength"/> so that the service itself refuses such URLs, with a problem.
    /// </summary>
    public const int KestrelRequestLineLimit = 128 * 1024;

    public static IServiceCollection AddApiLimits(this IServiceCollection services)
    {
        services.AddOptions<ApiLimitsOptions>().BindConfiguration(ApiLimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestLineSize = KestrelRequestLineLimit);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ApiLimitsOptions>>((options, apiLimits) =>
        {
            var limits = apiLimits.Value;
            options.AddPolicy(Policy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.User.Identity?.IsAuthenticated == true
                    ? "key:" + context.User.FindFirstValue(ClaimTypes.Name)
                    : "ip:" + context.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"This API key may make {limits.PermitsPerMinute} requests a minute. Retry after the Retry-After header's seconds.",
                    },
                });
            };
        });
        return services;
    }

    /// <summary>Refuses oversized URLs (414) and bodies (413) before anything reads them, with a problem.</summary>
    public static WebApplication UseRequestSizeLimit(this WebApplication app)
    {
        var standard = app.Services.GetRequiredService<IOptions<ApiLimitsOptions>>().Value.MaxRequestBodyBytes;
        var large = app.Services.GetServices<LargeBodyPath>().ToArray();
        app.Use(async (context, next) =>
        {
            var max = large.FirstOrDefault(l => context.Request.Path.Equals(l.Path, StringComparison.OrdinalIgnoreCase))?.MaxBytes ?? standard;
            var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
            var targetLength = string.IsNullOrEmpty(target)
                ? context.Request.PathBase.ToUriComponent().Length + context.Request.Path.ToUriComponent().Length + context.Request.QueryString.ToUriComponent().Length
                : target.Length;
            if (targetLength > MaxRequestTargetLength)
            {
                await RefuseAsync(context, StatusCodes.Status414UriTooLong, "URI too long",
                    $"The path and query string are limited to {MaxRequestTargetLength} characters. Send fewer or shorter filters.");
                return;
            }

            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = max;
            }

            if (context.Request.ContentLength > max)
            {
                await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large", $"Request bodies are limited to {max} bytes.");
                return;
            }

            await next(context);
        });
        return app;
    }

    private static async Task RefuseAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
