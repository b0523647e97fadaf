using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Webhooks;

namespace OnePasswordConnector.Tests.Webhooks;

public sealed class WebhookOptionsTests
{
    [Fact]
    public void A_claim_no_longer_than_the_request_timeout_stops_the_service_naming_both_settings()
    {
        var options = Resolve(new() { ["Webhooks:ClaimSeconds"] = "15", ["Webhooks:RequestTimeoutSeconds"] = "15" });

        var refused = Assert.Throws<OptionsValidationException>(() => options.Value);
        Assert.Contains("Webhooks:ClaimSeconds must be longer than Webhooks:RequestTimeoutSeconds", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_window_out_of_range_stops_the_service()
    {
        Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Webhooks:RetryHours"] = "0" }).Value);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        var options = Resolve([]).Value;

        Assert.Equal((5, 60, 24, 60), (options.RetryBaseSeconds, options.MaxRetryDelayMinutes, options.RetryHours, options.ClaimSeconds));
    }

    private static IOptions<WebhookOptions> Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddWebhooks();
        return services.BuildServiceProvider().GetRequiredService<IOptions<WebhookOptions>>();
    }
}
