using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Connections;

namespace OnePasswordConnector.Scim;

internal sealed class ScimOptions
{
    public const string Section = "Scim";

    /// <summary>How long one HTTP attempt may take before it counts as a timeout.</summary>
    [Range(1, 600)]
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>How long a registration or test probe may take in all.</summary>
    [Range(1, 120)]
    public int ProbeTimeoutSeconds { get; set; } = 15;
}

internal static class ScimSetup
{
    public const string ProbeClient = "scim-probe";

    public static string UserAgent { get; } =
        $"OnePasswordConnector/{typeof(ScimSetup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0"}";

    public static IServiceCollection AddScimClient(this IServiceCollection services)
    {
        services.AddOptions<ScimOptions>().BindConfiguration(ScimOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BridgeUrlPolicy>().BindConfiguration(BridgeUrlPolicy.Section);
        services.AddSingleton<GuardedConnections>();

        // Probes answer an admin who is waiting: one attempt, short timeout, no retries.
        services.AddHttpClient(ProbeClient, (sp, http) => Configure(sp, http, sp.GetRequiredService<IOptions<ScimOptions>>().Value.ProbeTimeoutSeconds))
            .ConfigurePrimaryHttpMessageHandler(CreateHandler)
            .RemoveAllLoggers();
        return services;
    }

    public static void Configure(IServiceProvider services, HttpClient http, int timeoutSeconds)
    {
        http.Timeout = TimeSpan.FromSeconds(timeoutSeconds);
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
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = guard.ConnectAsync,
        };
    }
}
