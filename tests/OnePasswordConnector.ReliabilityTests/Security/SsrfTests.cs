using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.ReliabilityTests.Security;

/// <summary>The production SSRF policy: private, loopback, link-local and unspecified addresses refused.</summary>
public sealed class StrictBridgePolicyApp : ConnectorApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("BridgeUrlPolicy:AllowPrivateAddresses", "false"), new("BridgeUrlPolicy:AllowHttp", "true")];
}

public sealed class SsrfTests(StrictBridgePolicyApp app) : IClassFixture<StrictBridgePolicyApp>
{
    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://127.1.2.3")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://10.0.0.5")]
    [InlineData("http://172.20.1.1")]
    [InlineData("http://192.168.0.10")]
    [InlineData("http://100.64.0.1")]
    [InlineData("http://0.0.0.0")]
    [InlineData("http://[::1]")]
    [InlineData("http://[::]")]
    [InlineData("http://[fe80::1]")]
    [InlineData("http://[fd12:3456::1]")]
    [InlineData("http://[::ffff:127.0.0.1]")]
    [InlineData("http://[::ffff:169.254.169.254]")]
    [InlineData("http://2130706433")]
    [InlineData("http://0x7f000001")]
    [InlineData("http://0177.0.0.1")]
    [InlineData("http://2852039166")]
    public async Task A_bridge_url_at_an_internal_address_is_refused_before_any_request(string url)
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var response = await client.PostAsJsonAsync("/api/v1/tenants/acme/connections", new { name = "ssrf", scimBridgeUrl = url, bearerToken = "token-12345678" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("not allowed", problem.GetProperty("errors").GetProperty("scimBridgeUrl")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_whose_dns_answer_is_internal_is_refused_when_connecting()
    {
        using var bridge = FakeBridge.Healthy();
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var url = bridge.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal);

        var response = await client.PostAsJsonAsync("/api/v1/tenants/acme/connections", new { name = "rebinding", scimBridgeUrl = url, bearerToken = bridge.Token });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("blocked_address", problem.GetProperty("failure").GetString());
        Assert.Empty(bridge.Server.LogEntries);
    }
}

/// <summary>Redirects need a reachable bridge, so this one runs with private addresses allowed, as in development.</summary>
public sealed class RedirectTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    [InlineData("http://127.0.0.1:22/")]
    [InlineData("http://[::1]/admin")]
    public async Task A_redirect_from_the_bridge_is_never_followed(string target)
    {
        using var bridge = new FakeBridge();
        bridge.Server.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(307).WithHeader("Location", target));
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var response = await client.PostAsJsonAsync("/api/v1/tenants/acme/connections", new { name = "redirect", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("redirects are not followed", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
