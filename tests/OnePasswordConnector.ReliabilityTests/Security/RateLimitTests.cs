using System.Net;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.ReliabilityTests.Security;

public sealed class TightRateLimitApp : ConnectorApp
{
    public const int PerMinute = 5;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("ApiLimits:PermitsPerMinute", PerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

public sealed class RateLimitTests(TightRateLimitApp app) : IClassFixture<TightRateLimitApp>
{
    [Fact]
    public async Task A_key_over_its_limit_gets_429_with_retry_after_while_other_keys_are_served()
    {
        using var acme = app.ClientWithKey(ConnectorApp.AcmeKey);
        for (var i = 0; i < TightRateLimitApp.PerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/api/v1/tenants/acme/connections")).StatusCode);
        }

        var limited = await acme.GetAsync("/api/v1/tenants/acme/connections");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After tells the client when to come back");
        using var globex = app.ClientWithKey(ConnectorApp.GlobexKey);
        Assert.Equal(HttpStatusCode.OK, (await globex.GetAsync("/api/v1/tenants/globex/connections")).StatusCode);
        using var anonymous = app.ClientWithKey(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
    }
}
