using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Hosting;

public sealed class ServiceInfoTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    private static readonly string BuildVersion =
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    [Fact]
    public void The_build_version_names_the_git_commit()
    {
        // 0.1.0+<40 hex digits>: the SDK appends the commit when it builds from a git checkout.
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\+[0-9a-f]{40}$", BuildVersion);
    }

    [Fact]
    public async Task Root_answers_name_version_and_docs_without_a_key()
    {
        using var anonymous = app.ClientWithKey(null);

        var response = await anonymous.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("OnePasswordConnector", body.GetProperty("service").GetString());
        Assert.Equal(BuildVersion, body.GetProperty("version").GetString());
        Assert.Equal("/swagger", body.GetProperty("docs").GetString());
    }

    [Fact]
    public async Task The_bridge_sees_the_service_version_in_the_user_agent_of_the_probe()
    {
        using var bridge = FakeBridge.Healthy();

        await app.RegisterAsync(bridge);

        var probe = bridge.Server.LogEntries.First(e => e.RequestMessage.Path == "/scim/ServiceProviderConfig");
        var userAgent = probe.RequestMessage.Headers!.First(h => string.Equals(h.Key, "User-Agent", StringComparison.OrdinalIgnoreCase)).Value;
        Assert.Equal($"OnePasswordConnector/{BuildVersion}", string.Join(" ", userAgent));
    }
}
