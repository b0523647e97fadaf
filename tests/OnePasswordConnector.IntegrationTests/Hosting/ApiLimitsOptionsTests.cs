using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Hosting;

/// <summary>The service whose rate limit is set on its options after configuration was read (as a test or a host may).</summary>
public sealed class TwoRequestsAMinuteApp : ConnectorApp
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.PostConfigure<ApiLimitsOptions>(limits => limits.PermitsPerMinute = 2);
}

public sealed class ApiLimitsOptionsTests(TwoRequestsAMinuteApp app) : IClassFixture<TwoRequestsAMinuteApp>
{
    [Fact]
    public async Task The_rate_limit_is_the_one_the_validated_options_hold()
    {
        using var client = app.ClientWithKey(ConnectorApp.GlobexKey);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 3; i++)
        {
            last = await client.GetAsync($"/api/v1/tenants/{ConnectorApp.Globex}/connections");
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        var problem = await last.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("2 requests a minute", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
