using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.SignIns;

internal sealed class EventsOptions
{
    public const string Section = "Events";

    /// <summary>How long sign-in attempts are kept; longer than 1Password's own 120 days, so dormancy can reach further back.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 400;

    /// <summary>Events API hosts allowed besides 1Password's four, for tests and the demo. Never a production setting.</summary>
    public string[] AdditionalHosts { get; set; } = [];

    /// <summary>Sign-in attempts asked for per request (the Events API allows 1 to 1000).</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 1000;

    /// <summary>Requests one sync's collection may make; the rest is read by the next sync, from the saved cursor.</summary>
    [Range(1, 30000)]
    public int MaxRequestsPerSync { get; set; } = 1000;

    /// <summary>The Events API's limit per account and minute: requests beyond it wait for the next minute.</summary>
    [Range(1, 600)]
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>The Events API's limit per account and hour: once spent, collection stops until the next sync.</summary>
    [Range(1, 30000)]
    public int RequestsPerHour { get; set; } = 30000;
}

internal static class SignInsSetup
{
    public const string ProbeClient = "events-probe";
    public const string CollectClient = "events-collect";

    /// <summary>
    /// The Events API client reuses the SCIM client's plumbing: the SSRF-guarded handler without redirects or proxy,
    /// and for collection the same per-origin retries (429 and Retry-After), circuit breaker and attempt timeout.
    /// </summary>
    public static IServiceCollection AddSignIns(this IServiceCollection services)
    {
        services.AddOptions<EventsOptions>().BindConfiguration(EventsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient(ProbeClient, (sp, http) => ScimSetup.Configure(sp, http, sp.GetRequiredService<IOptions<ScimOptions>>().Value.ProbeTimeoutSeconds))
            .ConfigurePrimaryHttpMessageHandler(ScimSetup.CreateHandler)
            .RemoveAllLoggers();
        services.AddHttpClient(CollectClient, (sp, http) => ScimSetup.Configure(sp, http, timeoutSeconds: 0))
            .ConfigurePrimaryHttpMessageHandler(ScimSetup.CreateHandler)
            .RemoveAllLoggers()
            .AddPolicyHandler((sp, request) => sp.GetRequiredService<BridgePolicies>().For(request));
        services.AddSingleton<EventsRequestBudget>();
        services.AddSingleton<SignInCollector>();
        return services;
    }
}
