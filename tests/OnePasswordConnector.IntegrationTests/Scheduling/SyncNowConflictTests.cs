using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.IntegrationTests.Scheduling;

/// <summary>"Sync now" while a sync runs: the 409 names the run that is in the way, so a caller can follow it.</summary>
public sealed class SyncNowConflictTests
{
    [Fact]
    public async Task Sync_now_while_the_scheduler_runs_the_first_sync_gets_409_with_that_runs_id_and_location()
    {
        await using var app = await SchedulerApp.StartAsync();
        using var bridge = SlowBridge();
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var scheduled = Assert.Single(await app.Scheduler.RunOnceAsync(CancellationToken.None));
        var response = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);

        var problem = await Connections.ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.Conflict);
        Assert.Equal(scheduled, problem.GetProperty("runId").GetGuid());
        var location = response.Headers.Location!.OriginalString;
        Assert.Equal($"/api/v1/tenants/acme/connections/{id}/syncs/{scheduled}", location);
        var run = await client.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal("scheduled", run.GetProperty("trigger").GetString());
        await app.Coordinator.WhenIdleAsync();
    }

    [Fact]
    public async Task A_second_sync_now_gets_409_naming_the_manual_run_the_first_one_started()
    {
        await using var app = await SchedulerApp.StartAsync();
        using var bridge = SlowBridge();
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var first = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);
        var second = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var firstRun = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var problem = await Connections.ConnectionRegistryTests.AssertProblem(second, HttpStatusCode.Conflict);
        Assert.Equal(firstRun, problem.GetProperty("runId").GetGuid());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        await app.Coordinator.WhenIdleAsync();
    }

    /// <summary>A healthy bridge whose Groups page takes 1.5 s, so that a sync is still running when the test asks.</summary>
    private static FakeBridge SlowBridge()
    {
        var bridge = FakeBridge.Healthy();
        bridge.Server.Given(Request.Create().WithPath("/scim/Groups").UsingGet().WithHeader("Authorization", $"Bearer {bridge.Token}"))
            .AtPriority(1)
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromMilliseconds(1500)).WithStatusCode(200)
                .WithHeader("Content-Type", FakeBridge.ScimJson).WithBody(ScimPayload.ListResponse([], 0, 1).ToJsonString()));
        return bridge;
    }
}
