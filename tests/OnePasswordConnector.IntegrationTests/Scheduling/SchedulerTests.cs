using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.IntegrationTests.Scheduling;

/// <summary>One replica driven pass by pass with a fake clock: what is due runs, back-off, unauthorized, fairness.</summary>
public sealed class SchedulerTests
{
    private const string Ada = "UAAAAAAAAAAAAAAAAAAAAAAAAA";

    [Fact]
    public async Task A_newly_registered_connection_syncs_within_one_poll_without_any_call()
    {
        await using var app = await SchedulerApp.StartAsync(settings: [new("Scheduler:Enabled", "true")]);
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        // Only the clock moves, a second at a time: the scheduler's own loop must find the connection. Each second
        // of fake time gets 100 ms of real time, so that a pass slowed by a loaded machine does not see the clock
        // run ahead of it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<string> runs;
        while ((runs = await app.QueryAsync("SELECT trigger, status, started_at FROM sync_runs WHERE connection_id = @c AND status = 'succeeded'", id)).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "No scheduled sync started");
            if (app.Time.GetUtcNow() < SchedulerApp.Epoch.AddSeconds(60))
            {
                app.Time.Advance(TimeSpan.FromSeconds(1));
            }

            await Task.Delay(100);
        }

        var run = runs.Single().Split('|');
        Assert.Equal("scheduled", run[0]);
        Assert.True(DateTimeOffset.Parse(run[2], CultureInfo.InvariantCulture) <= SchedulerApp.Epoch.AddSeconds(15), $"Started at {run[2]}, later than one poll");
        Assert.Equal(["healthy"], await app.QueryAsync("SELECT status FROM connections WHERE id = @c", id));
    }

    [Fact]
    public async Task Due_connections_run_and_connections_not_due_or_disabled_do_not()
    {
        await using var app = await SchedulerApp.StartAsync();
        using var dueBridge = FakeBridge.Healthy();
        using var laterBridge = FakeBridge.Healthy();
        using var disabledBridge = FakeBridge.Healthy();
        var due = await app.RegisterAsync(dueBridge, name: "due");
        var later = await app.RegisterAsync(laterBridge, name: "later");
        var disabled = await app.RegisterAsync(disabledBridge, name: "disabled");
        await app.QueryAsync("UPDATE connections SET next_sync_at = next_sync_at + interval '1 hour' WHERE id = @c", later);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        (await client.PatchAsJsonAsync($"/api/v1/tenants/acme/connections/{disabled}", new { enabled = false })).EnsureSuccessStatusCode();

        var started = await app.PassAsync();

        Assert.Single(started);
        Assert.Equal(["scheduled|succeeded"], await RunsAsync(app, due));
        Assert.Empty(await RunsAsync(app, later));
        Assert.Empty(await RunsAsync(app, disabled));

        app.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Empty(await app.PassAsync());
        app.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(await app.PassAsync());
        Assert.Equal(["scheduled|succeeded"], await RunsAsync(app, later));
        Assert.Single(await RunsAsync(app, due));
        Assert.Empty(await RunsAsync(app, disabled));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public async Task The_next_sync_is_one_interval_plus_at_most_five_percent_jitter_after_the_last_one_finished(double jitter)
    {
        await using var app = await SchedulerApp.StartAsync();
        app.Jitter.Value = jitter;
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        (await client.PatchAsJsonAsync($"/api/v1/tenants/acme/connections/{id}", new { syncIntervalMinutes = 60 })).EnsureSuccessStatusCode();
        app.Time.Advance(TimeSpan.FromMinutes(60));

        Assert.Single(await app.PassAsync());

        var finished = app.Time.GetUtcNow();
        var interval = TimeSpan.FromMinutes(60);
        var next = await NextSyncAtAsync(app, id);
        Assert.InRange(next, finished + interval, finished + (interval * 1.05));
        Assert.Equal(finished + (interval * (1 + (0.05 * jitter))), next, TimeSpan.FromMilliseconds(1));
        var resource = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}");
        Assert.Equal(next, resource.GetProperty("nextSyncAt").GetDateTimeOffset());

        app.Time.SetUtcNow(next.AddSeconds(-1));
        Assert.Empty(await app.PassAsync());
        app.Time.SetUtcNow(next);
        Assert.Single(await app.PassAsync());
        Assert.Equal(2, (await RunsAsync(app, id)).Count);
    }

    [Fact]
    public async Task Consecutive_failures_back_off_exponentially_up_to_six_hours_and_a_success_resets_it()
    {
        // No retries and no circuit breaker in the way: each pass is one failed sync, and healing shows at once.
        await using var app = await SchedulerApp.StartAsync(settings: [new("Scim:Retries", "0"), new("Scim:CircuitBreakerFailures", "100")]);
        app.Jitter.Value = 0;
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        bridge.Server.Reset();
        bridge.Server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(503));

        var delays = new List<double>();
        for (var failure = 1; failure <= 9; failure++)
        {
            Assert.Single(await app.PassAsync());
            var next = await NextSyncAtAsync(app, id);
            delays.Add((next - app.Time.GetUtcNow()).TotalMinutes);
            Assert.Equal([$"failing|{failure}"], await app.QueryAsync("SELECT status, consecutive_failures FROM connections WHERE id = @c", id));

            app.Time.SetUtcNow(next.AddSeconds(-1));
            Assert.Empty(await app.PassAsync());
            app.Time.SetUtcNow(next);
        }

        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 360, 360], delays);

        Heal(bridge, bridge.Token);
        Assert.Single(await app.PassAsync());
        Assert.Equal(["healthy|0|"], await app.QueryAsync("SELECT status, consecutive_failures, coalesce(last_error, '') FROM connections WHERE id = @c", id));
        Assert.Equal(app.Time.GetUtcNow().AddDays(1), await NextSyncAtAsync(app, id));
    }

    [Fact]
    public async Task Unauthorized_stops_scheduling_until_the_token_is_rotated()
    {
        await using var app = await SchedulerApp.StartAsync();
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        bridge.Server.Reset();
        bridge.Server.Given(Request.Create().UsingAnyMethod())
            .RespondWith(FakeBridge.Json(401, ScimPayload.Error(401, "Invalid bearer token")));

        Assert.Single(await app.PassAsync());
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var resource = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}");
        Assert.Equal("unauthorized", resource.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, resource.GetProperty("nextSyncAt").ValueKind);

        app.Time.Advance(TimeSpan.FromDays(2));
        Assert.Empty(await app.PassAsync());
        Assert.Single(await RunsAsync(app, id));

        const string rotated = "ops_bridge_rotated_7d41";
        Heal(bridge, rotated);
        var rotation = await client.PutAsJsonAsync($"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = rotated });
        Assert.Equal(HttpStatusCode.OK, rotation.StatusCode);
        resource = await rotation.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(app.Time.GetUtcNow(), resource.GetProperty("nextSyncAt").GetDateTimeOffset());

        Assert.Single(await app.PassAsync());
        Assert.Equal(["scheduled|succeeded", "scheduled|failed"], await RunsAsync(app, id));
        Assert.Equal(["healthy"], await app.QueryAsync("SELECT status FROM connections WHERE id = @c", id));
    }

    [Fact]
    public async Task One_tenant_with_many_due_connections_cannot_take_every_slot()
    {
        await using var app = await SchedulerApp.StartAsync(settings: [new("Scheduler:MaxConcurrentSyncs", "4"), new("Scheduler:MaxConcurrentPerTenant", "2")]);
        using var bridge = FakeBridge.Healthy();
        var acme = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            acme.Add(await app.RegisterAsync(bridge, ConnectorApp.Acme, $"acme {i}"));
        }

        var globex = await app.RegisterAsync(bridge, ConnectorApp.Globex, "globex");
        bridge.Authorized("/scim/Users", priority: 1).RespondWith(
            FakeBridge.Json(200, ScimPayload.ListResponse([ScimPayload.User(Ada, "ada@example.org", "Ada", "Lovelace")], 1, 1)).WithDelay(300));

        var first = await app.Scheduler.RunOnceAsync(CancellationToken.None);
        var perTenant = app.Coordinator.RunningPerTenant();
        await app.Coordinator.WhenIdleAsync();

        Assert.Equal(3, first.Count);
        Assert.Equal(2, perTenant[ConnectorApp.Acme]);
        Assert.Equal(1, perTenant[ConnectorApp.Globex]);
        Assert.Single(await RunsAsync(app, globex));
        Assert.Equal(2, (await app.PassAsync()).Count);
        Assert.Single(await app.PassAsync());
        foreach (var id in acme)
        {
            Assert.Single(await RunsAsync(app, id));
        }
    }

    [Fact]
    public async Task A_manual_sync_and_the_scheduler_share_one_lease()
    {
        await using var app = await SchedulerApp.StartAsync();
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        bridge.Authorized("/scim/Groups", priority: 1).RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse([], 0, 1)).WithDelay(1000));
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var manual = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);
        Assert.Equal(HttpStatusCode.Accepted, manual.StatusCode);
        Assert.Empty(await app.Scheduler.RunOnceAsync(CancellationToken.None));
        await app.Coordinator.WhenIdleAsync();

        Assert.Equal(["manual|succeeded"], await RunsAsync(app, id));
    }

    internal static Task<List<string>> RunsAsync(SyncApp app, Guid id) =>
        app.QueryAsync("SELECT trigger, status FROM sync_runs WHERE connection_id = @c ORDER BY started_at DESC, id DESC", id);

    internal static async Task<DateTimeOffset> NextSyncAtAsync(SyncApp app, Guid id) =>
        DateTimeOffset.Parse((await app.QueryAsync("SELECT to_char(next_sync_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM connections WHERE id = @c", id)).Single(),
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    /// <summary>The bridge answers again, healthy, to <paramref name="token"/> only.</summary>
    internal static void Heal(FakeBridge bridge, string token)
    {
        bridge.Server.Reset();
        void Serve(string path, System.Text.Json.Nodes.JsonNode body) =>
            bridge.Server.Given(Request.Create().WithPath(path).UsingGet().WithHeader("Authorization", $"Bearer {token}")).AtPriority(50)
                .RespondWith(FakeBridge.Json(200, body));
        Serve("/scim/ServiceProviderConfig", ScimPayload.ServiceProviderConfig());
        Serve("/scim/Users", ScimPayload.ListResponse([ScimPayload.User(Ada, "ada@example.org", "Ada", "Lovelace")], 1, 1));
        Serve("/scim/Groups", ScimPayload.ListResponse([], 0, 1));
        bridge.Server.Given(Request.Create().UsingAnyMethod().WithHeader("Authorization", $"Bearer {token}", WireMock.Matchers.MatchBehaviour.RejectOnMatch))
            .AtPriority(100).RespondWith(FakeBridge.Json(401, ScimPayload.Error(401, "Invalid bearer token")));
    }
}
