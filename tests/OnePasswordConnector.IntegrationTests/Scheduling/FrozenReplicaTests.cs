using System.Net;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Scheduling;

/// <summary>
/// A replica frozen longer than its lease (a stopped VM, a long GC or debugger pause) resumes after another replica has
/// abandoned its run and synced the connection again: its merge must be refused and rolled back, whatever it read.
/// </summary>
public sealed class FrozenReplicaTests
{
    private static readonly JsonObject Ada = ScimPayload.User("AAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org", "Ada", "Lovelace");
    private static readonly JsonObject Alan = ScimPayload.User("AAAAAAAAAAAAAAAAAAAAAAAAA2", "alan@example.org", "Alan", "Turing");

    [Fact]
    public async Task A_replica_frozen_past_its_lease_has_its_merge_refused_and_the_other_replicas_sync_stands()
    {
        await using var survivor = await SchedulerApp.StartAsync();
        // The frozen replica's clock never moves, so it never renews its lease, as a paused process would not.
        await using var frozen = await SchedulerApp.StartAsync(sharedDatabase: survivor.ConnectionString, settings: [new("Scim:RequestTimeoutSeconds", "60")]);
        using var bridge = FakeBridge.Healthy([Ada, Alan]);
        var id = await frozen.RegisterAsync(bridge);
        Assert.Single(await survivor.PassAsync());

        // What the frozen replica reads once it thaws says Alan left: committed, it would record a leaver.
        using var thaw = new FirstReadHeld(bridge, "/scim/Users", ScimPayload.ListResponse([Ada], 1, 1), ScimPayload.ListResponse([Ada, Alan], 2, 1));
        using var api = frozen.ClientWithKey(ConnectorApp.AdminKey);
        var started = await api.PostAsync($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}/syncs", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await thaw.Arrived.WaitAsync(TimeSpan.FromSeconds(30));

        // Past the frozen run's lease and past the connection's interval, the survivor abandons the run and syncs.
        survivor.Time.Advance(TimeSpan.FromDays(2));
        Assert.Single(await survivor.PassAsync());
        var runs = (await SchedulerTests.RunsAsync(survivor, id)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["manual|abandoned", "scheduled|succeeded", "scheduled|succeeded"], runs);
        var directory = await DirectoryAsync(survivor, id);

        thaw.Release();
        await frozen.Coordinator.WhenIdleAsync();
        Assert.Contains(frozen.Logs.Lines, l => l.Contains("marked abandoned while it ran", StringComparison.Ordinal));

        Assert.Equal(runs, (await SchedulerTests.RunsAsync(survivor, id)).Order(StringComparer.Ordinal));
        Assert.Equal(directory, await DirectoryAsync(survivor, id));
        Assert.Equal(["AAAAAAAAAAAAAAAAAAAAAAAAA1|ada@example.org|True", "AAAAAAAAAAAAAAAAAAAAAAAAA2|alan@example.org|True"], await survivor.CurrentUsersAsync(id));
        Assert.Equal(["healthy|succeeded|null"], await survivor.QueryAsync(
            "SELECT c.status, c.last_sync_status, c.lease_owner FROM connections c JOIN sync_runs r ON r.id = c.last_sync_run_id WHERE c.id = @c AND r.owner = '" + survivor.Owner + "'", id));
    }

    /// <summary>Users with their history, the change feed and the provisioning reports: everything the run would have touched.</summary>
    private static async Task<List<string>> DirectoryAsync(SchedulerApp app, Guid id) =>
    [
        .. await app.QueryAsync("SELECT scim_id || '|' || coalesce(removed_at::text, '-') FROM directory_users WHERE connection_id = @c ORDER BY 1", id),
        .. await app.QueryAsync("SELECT count(*)::text FROM user_history WHERE connection_id = @c", id),
        .. await app.QueryAsync("SELECT kind || '|' || coalesce(subject_id, '') FROM change_events WHERE connection_id = @c ORDER BY 1", id),
        .. await app.QueryAsync("SELECT verdict FROM provisioning_reports WHERE connection_id = @c ORDER BY recorded_at, id", id),
    ];

    /// <summary>Holds the first read of a path until released and then answers it with one body; every later read gets another.</summary>
    private sealed class FirstReadHeld : IDisposable
    {
        private readonly TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int calls;

        public FirstReadHeld(FakeBridge bridge, string path, JsonNode first, JsonNode later) =>
            bridge.Authorized(path, priority: 1).RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(async _ =>
            {
                var body = later;
                if (Interlocked.Increment(ref calls) == 1)
                {
                    arrived.TrySetResult();
                    await release.Task.WaitAsync(TimeSpan.FromSeconds(50)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    body = first;
                }

                return FakeBridge.JsonMessage(body);
            }));

        public Task Arrived => arrived.Task;

        public void Release() => release.TrySetResult();

        public void Dispose() => Release();
    }
}
