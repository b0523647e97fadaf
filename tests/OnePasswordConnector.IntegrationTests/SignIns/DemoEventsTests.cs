using System.Text.Json;
using OnePasswordConnector.DemoBridge;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.SignIns;

/// <summary>The demo bridge's fake Events API, as scripts/run.sh uses it: a sync shows last sign-ins.</summary>
public sealed class DemoEventsTests(SignInApp app) : IClassFixture<SignInApp>
{
    [Fact]
    public async Task A_sync_of_the_demo_bridge_with_its_events_token_shows_last_sign_ins()
    {
        const string token = "demo-bridge-token-sign-ins";
        var eventsToken = "demo-events-token-" + Guid.NewGuid().ToString("N");
        SecretScan.Register(eventsToken);
        var directory = DemoDirectory.Generate(users: 60, groups: 3, seed: 7);
        await using var bridge = await DemoBridgeApp.StartAsync(new DemoBridgeOptions { BearerToken = token, EventsToken = eventsToken, DefaultPageSize = 7 }, directory);
        var url = bridge.GetBaseAddress().AbsoluteUri.TrimEnd('/');
        var connectionId = await app.RegisterAsync(url, token);
        using (var put = await app.PutEventsTokenAsync(connectionId, eventsToken, url))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var run = await app.SyncAndCollectAsync(connectionId);

        Assert.Empty(SignInApp.Warnings(run));
        var users = (await app.GetJsonAsync($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{connectionId}/users?limit=100")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(directory.Users.Count, users.Count);
        var index = directory.Users.Select((u, i) => (u.Id, i)).ToDictionary(x => x.Id, x => x.i);
        foreach (var user in users)
        {
            var i = index[user.GetProperty("id").GetString()!];
            var last = user.GetProperty("signIns").GetProperty("lastSignInAt");
            Assert.Equal(i % 7 == 3 ? JsonValueKind.Null : JsonValueKind.String, last.ValueKind);
        }

        var summary = (await app.GetJsonAsync($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{connectionId}/summary")).GetProperty("signIns");
        Assert.True(summary.GetProperty("dormantUsers").GetInt32() > 0, summary.ToString());
        Assert.True(summary.GetProperty("usersWithRepeatedMfaFailures").GetInt32() > 0, summary.ToString());
    }
}
