using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Hosting;

namespace OnePasswordConnector.Scim;

internal sealed class ScimOptions
{
    public const string Section = "Scim";

    /// <summary>How long one HTTP attempt may take before it counts as a timeout.</summary>
    [Range(1, 600)]
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long each request of a registration or test probe may take. A probe makes several (ServiceProviderConfig on
    /// each candidate SCIM base, a one-user page, /health, /ping), each with this limit.
    /// </summary>
    [Range(1, 120)]
    public int ProbeTimeoutSeconds { get; set; } = 15;

    /// <summary>Retries after a connection error, timeout, 408, 429 or 5xx during a sync (never after 401/403).</summary>
    [Range(0, 10)]
    public int Retries { get; set; } = 3;

    /// <summary>First back-off delay; it doubles per retry, with jitter. A Retry-After header wins.</summary>
    [Range(0, 60000)]
    public int RetryBaseDelayMilliseconds { get; set; } = 1000;

    /// <summary>The longest Retry-After the client will honour; longer ones are cut to this.</summary>
    [Range(0, 3600)]
    public int MaxRetryAfterSeconds { get; set; } = 60;

    /// <summary>Consecutive failed attempts against one bridge that open its circuit.</summary>
    [Range(1, 100)]
    public int CircuitBreakerFailures { get; set; } = 8;

    [Range(1, 3600)]
    public int CircuitBreakSeconds { get; set; } = 30;

    /// <summary>The largest answer the client reads from a bridge; a larger page fails the sync instead of exhausting memory.</summary>
    [Range(1, 2047)]
    public int MaxResponseMegabytes { get; set; } = 256;

    public long MaxResponseBytes => MaxResponseMegabytes * 1024L * 1024L;
}

internal static class ScimSetup
{
    public const string ProbeClient = "scim-probe";
    public const string SyncClient = "scim-sync";

    public static string UserAgent { get; } = $"{ServiceInfo.Name}/{ServiceInfo.Version}";

    public static IServiceCollection AddScimClient(this IServiceCollection services)
    {
        services.AddOptions<ScimOptions>().BindConfiguration(ScimOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BridgeUrlPolicy>().BindConfiguration(BridgeUrlPolicy.Section);
        services.AddSingleton<GuardedConnections>();

        // Probes answer an admin who is waiting: one attempt, short timeout, no retries.
        services.AddHttpClient(ProbeClient, (sp, http) => Configure(sp, http, sp.GetRequiredService<IOptions<ScimOptions>>().Value.ProbeTimeoutSeconds))
            .ConfigurePrimaryHttpMessageHandler(CreateHandler)
            .RemoveAllLoggers();

        // Syncs run unattended: per-attempt timeout, jittered retries and a circuit breaker per bridge (BridgePolicies).
        services.AddSingleton<BridgePolicies>();
        services.AddHttpClient(SyncClient, (sp, http) => Configure(sp, http, timeoutSeconds: 0))
            .ConfigurePrimaryHttpMessageHandler(CreateHandler)
            .RemoveAllLoggers()
            .AddPolicyHandler((sp, request) => sp.GetRequiredService<BridgePolicies>().For(request));
        return services;
    }

    public static void Configure(IServiceProvider services, HttpClient http, int timeoutSeconds)
    {
        http.Timeout = timeoutSeconds > 0 ? TimeSpan.FromSeconds(timeoutSeconds) : Timeout.InfiniteTimeSpan;
        http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        http.DefaultRequestHeaders.Accept.ParseAdd(ScimClient.ScimMediaType);
        http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    /// <summary>No redirects (a redirect could point anywhere), and every connect goes through the SSRF guard.</summary>
    public static HttpMessageHandler CreateHandler(IServiceProvider services)
    {
        var guard = services.GetRequiredService<GuardedConnections>();
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // A proxy would make the connect-time SSRF check see the proxy's address instead of the bridge's.
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = guard.ConnectAsync,
        };
    }
}
