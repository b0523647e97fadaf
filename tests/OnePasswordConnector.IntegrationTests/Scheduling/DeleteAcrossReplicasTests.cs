using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using OnePasswordConnector.IntegrationTests.Sync;
using OnePasswordConnector.Sync;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Scheduling;

/// <summary>
/// DELETE and cancel reach a sync through the database, whichever replica runs it, and a dead replica leaves nothing behind.
/// </summary>
public sealed class DeleteAcrossReplicasTests
{
    private static readonly KeyValuePair<string, string?> PatientBridge = new("Scim:RequestTimeoutSeconds", "300");

    [Fact]
    public async Task A_delete_sent_to_the_replica_without_the_sync_stops_it_on_the_one_that_runs_it_and_purges_its_rows()
    {
        await using var replicas = await TwoReplicas.WithAStuckSyncAsync();
        var (time, running, other, id, runId) = (replicas.Time, replicas.Running, replicas.Other, replicas.ConnectionId, replicas.RunId);

        using var client = other.ClientWithKey(ConnectorApp.AdminKey);
        var watch = Stopwatch.StartNew();
        var deleted = await client.DeleteAsync($"/api/v1/tenants/acme/connections/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"DELETE took {watch.Elapsed}");
        Assert.Equal(HttpStatusCode.NotFound, (await running.ClientWithKey(ConnectorApp.AdminKey).GetAsync($"/api/v1/tenants/acme/connections/{id}")).StatusCode);

        // Only the clock moves, a second at a time: the running replica's own check must find the request.
        await CancellationTests.WaitForAsync(() => Task.FromResult(running.Logs.Lines.Any(l => l.Contains(runId.ToString(), StringComparison.Ordinal)
                && l.Contains("was cancelled", StringComparison.Ordinal) && l.Contains(SyncCoordinator.ConnectionDeletedReason, StringComparison.Ordinal))),
            "the run on the other replica did not end cancelled", () => time.Advance(TimeSpan.FromSeconds(1)));
        await CancellationTests.WaitForAsync(async () => await CancellationTests.RowsLeftAsync(running, id) == 0, "rows of the deleted connection remain");
    }

    [Fact]
    public async Task A_cancel_sent_to_the_replica_without_the_sync_stops_it_on_the_one_that_runs_it()
    {
        await using var replicas = await TwoReplicas.WithAStuckSyncAsync();
        var (time, running, other, id, runId) = (replicas.Time, replicas.Running, replicas.Other, replicas.ConnectionId, replicas.RunId);

        using var client = other.ClientWithKey(ConnectorApp.AdminKey);
        var cancelled = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs/{runId}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        await CancellationTests.WaitForAsync(
            async () => (await running.QueryAsync("SELECT status FROM sync_runs WHERE connection_id = @c", id)).Single() != "running",
            "the run on the other replica kept running", () => time.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal([$"cancelled|{SyncCoordinator.CancelledByAdministratorReason}|0"],
            await running.QueryAsync("SELECT r.status, r.error, (SELECT count(*) FROM directory_users u WHERE u.connection_id = @c) FROM sync_runs r WHERE r.connection_id = @c", id));
    }

    [Fact]
    public async Task A_deleted_connection_whose_replica_died_is_purged_by_a_pass_after_its_lease_expires()
    {
        await using var survivor = await SchedulerApp.StartAsync(settings: [PatientBridge]);

        // The dying replica's clock never moves: it neither renews its lease nor checks for cancellations, as if killed.
        var dying = await SchedulerApp.StartAsync(sharedDatabase: survivor.ConnectionString, settings: [PatientBridge]);
        using var bridge = Bridge();
        var id = await dying.RegisterAsync(bridge);
        using var stuck = new StuckPage(bridge, "Groups", startIndex: 1);
        Assert.Single(await dying.Scheduler.RunOnceAsync(CancellationToken.None));
        await stuck.Arrived.WaitAsync(TimeSpan.FromSeconds(30));

        using var client = survivor.ClientWithKey(ConnectorApp.AdminKey);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/tenants/acme/connections/{id}")).StatusCode);
        survivor.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(await survivor.PassAsync());
        Assert.Equal(["1"], await survivor.QueryAsync("SELECT count(*) FROM sync_runs WHERE connection_id = @c AND status = 'running'", id));

        survivor.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(await survivor.PassAsync());
        Assert.Equal(0, await CancellationTests.RowsLeftAsync(survivor, id));

        // When the dead replica's process finally goes, its run finds nothing left to record, and says so at once.
        var watch = Stopwatch.StartNew();
        await dying.DisposeAsync();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"Stopping took {watch.Elapsed}");
        Assert.DoesNotContain(dying.Logs.Lines, l => l.Contains("marked abandoned", StringComparison.Ordinal));
        Assert.Equal(0, await CancellationTests.RowsLeftAsync(survivor, id));
    }

    private static FakeBridge Bridge()
    {
        var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServePaged("Users",
        [
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org", "Ada", "Lovelace"),
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA2", "grace@example.org", "Grace", "Hopper"),
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA3", "alan@example.org", "Alan", "Turing"),
        ], SyncApp.PageSize);
        bridge.ServePaged("Groups", [ScimPayload.Group("gAAAAAAAAAAAAAAAAAAAAAAAA1", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAA1")], SyncApp.PageSize);
        bridge.RejectOtherTokens();
        return bridge;
    }

    /// <summary>Two replicas on one database and clock; the first runs a sync stuck on page 2 of the users.</summary>
    private sealed class TwoReplicas : IAsyncDisposable
    {
        private FakeBridge? bridge;
        private StuckPage? stuck;

        public FakeTimeProvider Time { get; } = new(SchedulerApp.Epoch);

        public SchedulerApp Running { get; private set; } = null!;

        public SchedulerApp Other { get; private set; } = null!;

        public Guid ConnectionId { get; private set; }

        public Guid RunId { get; private set; }

        public static async Task<TwoReplicas> WithAStuckSyncAsync()
        {
            var replicas = new TwoReplicas();
            replicas.Running = await SchedulerApp.StartAsync(replicas.Time, settings: [PatientBridge]);
            replicas.Other = await SchedulerApp.StartAsync(replicas.Time, replicas.Running.ConnectionString, PatientBridge);
            replicas.bridge = Bridge();
            replicas.ConnectionId = await replicas.Running.RegisterAsync(replicas.bridge);
            replicas.stuck = new StuckPage(replicas.bridge, "Users", startIndex: 1 + SyncApp.PageSize);
            replicas.RunId = Assert.Single(await replicas.Running.Scheduler.RunOnceAsync(CancellationToken.None));
            await replicas.stuck.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
            return replicas;
        }

        // In the order the tests' own usings had: the page released and the bridge gone before the replicas stop.
        public async ValueTask DisposeAsync()
        {
            stuck?.Dispose();
            bridge?.Dispose();
            if (Other is not null)
            {
                await Other.DisposeAsync();
            }

            if (Running is not null)
            {
                await Running.DisposeAsync();
            }
        }
    }
}
