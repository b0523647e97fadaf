using Microsoft.Extensions.DependencyInjection.Extensions;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Scim;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Webhooks;

internal static class WebhooksSetup
{
    public const string DeliveryClient = "webhook-delivery";

    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.ClaimSeconds > o.RequestTimeoutSeconds, "Webhooks:ClaimSeconds must be longer than Webhooks:RequestTimeoutSeconds.")
            .ValidateOnStart();
        services.TryAddSingleton<IJitterSource, SharedRandomJitter>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<ISyncOutcomes, WebhookOutbox>();
        services.AddSingleton<WebhookWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookWorker>());

        // The bridges' SSRF guard (BridgeUrlPolicy, connect-time address check, no redirects, no proxy) guards
        // subscribers too: a webhook URL is as much a way into the internal network as a bridge URL.
        services.AddHttpClient(DeliveryClient, http =>
            {
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.UserAgent.ParseAdd(ScimSetup.UserAgent);
            })
            .ConfigurePrimaryHttpMessageHandler(ScimSetup.CreateHandler)
            .RemoveAllLoggers();
        return services;
    }
}
