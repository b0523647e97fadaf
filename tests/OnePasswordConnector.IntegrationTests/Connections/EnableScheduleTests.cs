using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Connections;

/// <summary>When a connection is next due after it is enabled again or given a new interval.</summary>
public sealed class EnableScheduleTests(SyncApp app) : IClassFixture<SyncApp>
{
    [Fact]
    public async Task Re_enabling_a_connection_that_never_synced_makes_it_due_at_once()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        await PatchAsync(client, id, new { enabled = false });

        var connection = await PatchAsync(client, id, new { enabled = true });

        Assert.True(connection.GetProperty("nextSyncAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow,
            $"nextSyncAt is {connection.GetProperty("nextSyncAt")}, not now");
    }

    [Fact]
    public async Task A_new_interval_on_a_connection_that_never_synced_keeps_it_due_at_once()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var connection = await PatchAsync(client, id, new { syncIntervalMinutes = 60 });

        Assert.True(connection.GetProperty("nextSyncAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow,
            $"nextSyncAt is {connection.GetProperty("nextSyncAt")}, not now");
    }

    [Fact]
    public async Task Re_enabling_a_synced_connection_makes_it_due_an_interval_after_its_last_sync()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        var finished = (await app.SyncAsync(id)).GetProperty("finishedAt").GetDateTimeOffset();
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        await PatchAsync(client, id, new { enabled = false });

        var connection = await PatchAsync(client, id, new { enabled = true });

        Assert.Equal(finished.AddMinutes(1440), connection.GetProperty("nextSyncAt").GetDateTimeOffset());
    }

    private static async Task<JsonElement> PatchAsync(HttpClient client, Guid id, object body)
    {
        var response = await client.PatchAsJsonAsync($"/api/v1/tenants/acme/connections/{id}", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
