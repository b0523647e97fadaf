using Microsoft.Extensions.Time.Testing;
using OnePasswordConnector.TestSupport;
using Xunit.Abstractions;

namespace OnePasswordConnector.IntegrationTests.Scheduling;

/// <summary>Several service hosts over one database, as replicas behind a load balancer: sharing, shutdown, a dead replica.</summary>
public sealed class ReplicaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_replicas_sync_twenty_due_connections_exactly_once_each_and_share_the_work()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var first = await SchedulerApp.StartAsync(time);
        await using var second = await SchedulerApp.StartAsync(time, first.ConnectionString);
        var bridges = new List<FakeBridge>();
        try
        {
            var connections = new Dictionary<Guid, FakeBridge>();
            for (var i = 0; i < 20; i++)
            {
                // A bridge (and token) per connection, so each bridge's log is exactly what one connection's syncs asked.
                var bridge = FakeBridge.Healthy();
                bridges.Add(bridge);
                connections[await first.RegisterAsync(bridge, $"tenant-{i % 5}", $"connection {i}")] = bridge;
                bridge.Authorized("/scim/Users", priority: 1).RespondWith(
                    FakeBridge.Json(200, ScimPayload.ListResponse([ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAAA", "ada@example.org", "Ada", "Lovelace")], 1, 1)).WithDelay(50));
            }

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await CountAsync(first, "SELECT count(*) FROM sync_runs WHERE status <> 'running'") < 20)
            {
                Assert.True(DateTime.UtcNow < deadline, "The replicas did not sync every connection in time");
                await Task.WhenAll(
                    first.Scheduler.RunOnceAsync(CancellationToken.None),
                    second.Scheduler.RunOnceAsync(CancellationToken.None));
                await Task.Delay(20);
            }

            await Task.WhenAll(first.Coordinator.WhenIdleAsync(), second.Coordinator.WhenIdleAsync());
            Assert.Empty(await first.Scheduler.RunOnceAsync(CancellationToken.None));
            Assert.Empty(await second.Scheduler.RunOnceAsync(CancellationToken.None));

            var runs = await first.QueryAsync("SELECT connection_id, status, trigger, owner FROM sync_runs ORDER BY owner", Guid.Empty);
            Assert.Equal(20, runs.Count);
            Assert.All(runs, run => Assert.EndsWith("|succeeded|scheduled|" + run.Split('|')[3], run));
            Assert.Equal(connections.Keys.Select(k => k.ToString()).Order(), runs.Select(r => r.Split('|')[0]).Order());
            foreach (var (id, bridge) in connections)
            {
                // One enumeration per connection, seen by its bridge: nothing ran twice, so nothing ran concurrently.
                Assert.Equal(1, bridge.Server.LogEntries.Count(e => e.RequestMessage.AbsolutePath == "/scim/Groups"));
            }

            var split = runs.GroupBy(r => r.Split('|')[3]).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine($"Runs per replica: {string.Join(", ", split.Select(s => $"{s.Key}={s.Value}"))}");
            Assert.Equal(new[] { first.Owner, second.Owner }.Order(), split.Keys.Order());
        }
        finally
        {
            bridges.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public async Task Shutdown_cancels_running_syncs_records_them_cancelled_and_releases_their_leases()
    {
        await using var survivor = await SchedulerApp.StartAsync();
        var stopping = await SchedulerApp.StartAsync(sharedDatabase: survivor.ConnectionString, settings: [new("Scim:RequestTimeoutSeconds", "60")]);
        using var bridge = FakeBridge.Healthy();
        var id = await stopping.RegisterAsync(bridge);
        using var hold = new HeldRequest(bridge, "/scim/Groups");
        Assert.Single(await stopping.Scheduler.RunOnceAsync(CancellationToken.None));
        await hold.Arrived.WaitAsync(TimeSpan.FromSeconds(30));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await stopping.DisposeAsync();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"Stopping waited {watch.Elapsed} for the bridge instead of cancelling");
        Assert.Equal(["scheduled|cancelled"], await SchedulerTests.RunsAsync(survivor, id));
        Assert.Equal(["null|null|cancelled"], await survivor.QueryAsync("SELECT lease_owner, lease_expires_at, last_sync_status FROM connections WHERE id = @c", id));
        survivor.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(await survivor.PassAsync());
        Assert.Equal(["scheduled|succeeded", "scheduled|cancelled"], await SchedulerTests.RunsAsync(survivor, id));
    }

    [Fact]
    public async Task A_run_whose_replica_died_is_abandoned_after_its_lease_expires_and_the_next_pass_syncs_the_connection()
    {
        await using var survivor = await SchedulerApp.StartAsync();

        // The dying replica's clock never moves, so it never renews its lease: to everyone else it is as dead as a
        // killed process. Its sync hangs on the bridge until the survivor has taken over.
        var dying = await SchedulerApp.StartAsync(sharedDatabase: survivor.ConnectionString, settings: [new("Scim:RequestTimeoutSeconds", "60")]);
        using var bridge = FakeBridge.Healthy();
        var id = await dying.RegisterAsync(bridge);
        using var hold = new HeldRequest(bridge, "/scim/Groups");
        var deadRun = Assert.Single(await dying.Scheduler.RunOnceAsync(CancellationToken.None));
        await hold.Arrived.WaitAsync(TimeSpan.FromSeconds(30));

        // While the lease (60 s) holds, the run is left alone and nobody else syncs the connection.
        survivor.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(await survivor.PassAsync());
        Assert.Equal(["scheduled|running"], await SchedulerTests.RunsAsync(survivor, id));

        survivor.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Single(await survivor.PassAsync());

        Assert.Equal(["scheduled|succeeded", "scheduled|abandoned"], await SchedulerTests.RunsAsync(survivor, id));
        Assert.Equal([$"{deadRun}|abandoned"], await survivor.QueryAsync("SELECT id, status FROM sync_runs WHERE connection_id = @c AND owner <> '" + survivor.Owner + "'", id));
        Assert.Equal(["healthy|succeeded|null"], await survivor.QueryAsync("SELECT status, last_sync_status, lease_owner FROM connections WHERE id = @c", id));

        // When the dead replica's process finally goes, its stale run must not overwrite what the survivor recorded.
        await dying.DisposeAsync();
        Assert.Equal(["scheduled|succeeded", "scheduled|abandoned"], await SchedulerTests.RunsAsync(survivor, id));
        Assert.Equal(["healthy|succeeded|null"], await survivor.QueryAsync("SELECT status, last_sync_status, lease_owner FROM connections WHERE id = @c", id));
    }

    private static async Task<long> CountAsync(SyncApp app, string sql) =>
        long.Parse((await app.QueryAsync(sql, Guid.Empty)).Single(), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Holds the first request to <paramref name="path"/> unanswered until disposed (or 30 s), and says when it arrived;
/// later requests are answered at once with an empty list.
/// </summary>
internal sealed class HeldRequest : IDisposable
{
    private readonly TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int calls;

    public HeldRequest(FakeBridge bridge, string path) =>
        bridge.Authorized(path, priority: 1).RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(async _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                arrived.TrySetResult();
                await release.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            return FakeBridge.JsonMessage(ScimPayload.ListResponse([], 0, 1));
        }));

    public Task Arrived => arrived.Task;

    public void Dispose() => release.TrySetResult();
}
