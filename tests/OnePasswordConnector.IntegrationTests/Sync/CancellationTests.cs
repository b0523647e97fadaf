using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Sync;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>The service with a bridge allowed to take minutes per request, as a bridge that stopped answering does.</summary>
public sealed class PatientSyncApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings.Concat([new("Scim:RequestTimeoutSeconds", "300"), new("Database:CommandTimeoutSeconds", "15")]);
}

/// <summary>DELETE of a connection while it syncs, the cancel endpoint, and a run whose connection went away under it.</summary>
public sealed class CancellationTests(PatientSyncApp app) : IClassFixture<PatientSyncApp>
{
    [Fact]
    public async Task Delete_during_a_sync_whose_bridge_stopped_answering_answers_within_seconds_and_leaves_no_row_behind()
    {
        using var bridge = Bridge(out _);
        using var stuck = new StuckPage(bridge, "Users", startIndex: 1 + SyncApp.PageSize);
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var runId = await StartAsync(client, id);
        await stuck.Arrived.WaitAsync(TimeSpan.FromSeconds(30));

        var watch = Stopwatch.StartNew();
        var deleted = await client.DeleteAsync($"/api/v1/tenants/acme/connections/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"DELETE took {watch.Elapsed}");
        await AssertGoneFromTheApiAsync(client, id, runId);
        await WaitForAsync(() => Task.FromResult(CancelledLine(runId) is not null), "the run did not end cancelled");
        Assert.Contains(SyncCoordinator.ConnectionDeletedReason, CancelledLine(runId), StringComparison.Ordinal);
        await WaitForAsync(async () => await RowsLeftAsync(app, id) == 0, "rows of the deleted connection remain");
        Assert.False(app.Logs.Contains("marked abandoned"), "A run was reported as left to be abandoned");
    }

    [Fact]
    public async Task Delete_during_a_normal_sync_answers_within_seconds_and_stops_it()
    {
        // Forty pages of users, each a quarter of a second: the baseline holds its transaction open for ten seconds.
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        var users = Enumerable.Range(1, 80).Select(i => ScimPayload.User($"U{i:D25}", $"user{i}@example.org", "User", $"{i}")).ToArray();
        for (var start = 1; start <= users.Length; start += SyncApp.PageSize)
        {
            bridge.Server.Given(Request.Create().WithPath("/scim/Users").UsingGet()
                    .WithParam("startIndex", start.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .WithHeader("Authorization", $"Bearer {bridge.Token}"))
                .AtPriority(10)
                .RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse(users.Skip(start - 1).Take(SyncApp.PageSize), users.Length, start))
                    .WithDelay(250));
        }

        // Groups are read first; once theirs are written, the open transaction holds key locks on the connection row.
        bridge.ServeList("Groups", [ScimPayload.Group("gAAAAAAAAAAAAAAAAAAAAAAAA1", "Engineering", users[0]["id"]!.GetValue<string>())]);
        bridge.RejectOtherTokens();
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var runId = await StartAsync(client, id);
        await WaitForAsync(() => Task.FromResult(bridge.Server.LogEntries.Count(e => e.RequestMessage.AbsolutePath == "/scim/Users") >= 3),
            "the sync did not read its first pages");

        var watch = Stopwatch.StartNew();
        var deleted = await client.DeleteAsync($"/api/v1/tenants/acme/connections/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"DELETE took {watch.Elapsed}");
        await AssertGoneFromTheApiAsync(client, id, runId);
        await WaitForAsync(() => Task.FromResult(CancelledLine(runId) is not null), "the run did not end cancelled");
        await WaitForAsync(async () => await RowsLeftAsync(app, id) == 0, "rows of the deleted connection remain");
        Assert.True(bridge.Server.LogEntries.Count(e => e.RequestMessage.AbsolutePath == "/scim/Users") < users.Length / SyncApp.PageSize,
            "The sync read every page instead of stopping");
    }

    [Fact]
    public async Task Cancel_stops_a_stuck_run_which_ends_cancelled_with_the_stored_directory_untouched()
    {
        using var bridge = Bridge(out _);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        var before = await StoredDirectoryAsync(id);
        using var stuck = new StuckPage(bridge, "Users", startIndex: 1 + SyncApp.PageSize);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var runId = await StartAsync(client, id);
        await stuck.Arrived.WaitAsync(TimeSpan.FromSeconds(30));

        var cancelled = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs/{runId}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        var body = await cancelled.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(runId, body.GetProperty("id").GetGuid());
        Assert.Equal($"/api/v1/tenants/acme/connections/{id}/syncs/{runId}", cancelled.Headers.Location!.OriginalString);
        JsonElement run = default;
        await WaitForAsync(async () =>
        {
            run = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}/syncs/{runId}");
            return run.GetProperty("status").GetString() != "running";
        }, "the cancelled run kept running");
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        Assert.Equal(SyncCoordinator.CancelledByAdministratorReason, run.GetProperty("error").GetString());
        Assert.Equal(before, await StoredDirectoryAsync(id));

        var connection = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}");
        Assert.True(connection.GetProperty("nextSyncAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(1),
            $"A run an admin stopped is not restarted at once: nextSyncAt {connection.GetProperty("nextSyncAt")}");
        var again = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs/{runId}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        var unknown = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs/{Guid.NewGuid()}/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task After_delete_a_sync_start_finds_no_connection_and_its_rows_are_gone_at_once()
    {
        using var bridge = Bridge(out _);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/tenants/acme/connections/{id}")).StatusCode);

        var started = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);
        Assert.Equal(HttpStatusCode.NotFound, started.StatusCode);
        Assert.Null(await app.Services.GetRequiredService<SyncCoordinator>().TryStartAsync(id, SyncTrigger.Manual, CancellationToken.None));
        Assert.Equal(0, await RowsLeftAsync(app, id));
    }

    [Fact]
    public async Task A_run_claimed_just_before_its_connection_was_deleted_ends_cancelled_without_reading_the_bridge()
    {
        using var bridge = Bridge(out _);
        var id = await app.RegisterAsync(bridge);
        var requestsBefore = bridge.Server.LogEntries.Count;
        var runId = Guid.CreateVersion7();
        await app.QueryAsync($"""
            INSERT INTO sync_runs (id, connection_id, trigger, status, started_at, owner, pages_read, resources_read, users_seen, users_added,
                users_changed, users_removed, groups_seen, groups_added, groups_changed, groups_removed, memberships_seen, memberships_added,
                memberships_removed, change_events)
            VALUES ('{runId}', @c, 'manual', 'running', now(), 'elsewhere', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            UPDATE connections SET deleted_at = now(), last_sync_run_id = '{runId}' WHERE id = @c;
            """, id);

        var status = await app.Services.GetRequiredService<SyncRunner>().RunAsync(runId, id, CancellationToken.None);

        Assert.Equal(SyncRunStatus.Cancelled, status);
        Assert.Equal([$"cancelled|{SyncCoordinator.ConnectionDeletedReason}"], await app.QueryAsync($"SELECT status, error FROM sync_runs WHERE id = '{runId}'", id));
        Assert.Equal(requestsBefore, bridge.Server.LogEntries.Count);
    }

    [Fact]
    public async Task A_run_whose_connection_rows_vanish_mid_sync_stops_at_once_and_says_why_without_a_retry_loop()
    {
        using var bridge = Bridge(out _);
        var id = await app.RegisterAsync(bridge);

        // Groups are read first: held on their first page, the sync has written nothing yet that would lock the connection.
        using var stuck = new StuckPage(bridge, "Groups", startIndex: 1, ScimPayload.ListResponse([ScimPayload.Group("gAAAAAAAAAAAAAAAAAAAAAAAA1", "Engineering")], 1, 1));
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var runId = await StartAsync(client, id);
        await stuck.Arrived.WaitAsync(TimeSpan.FromSeconds(30));

        // What a DELETE that lands first did before: the connection and its run are gone while the sync still reads the bridge.
        await app.QueryAsync("DELETE FROM connections WHERE id = @c", id);
        var watch = Stopwatch.StartNew();
        stuck.Release();

        await WaitForAsync(() => Task.FromResult(app.Logs.Lines.Any(l => l.Contains(runId.ToString(), StringComparison.Ordinal)
            && l.Contains("the connection was deleted", StringComparison.Ordinal))), "the run did not say its connection was deleted");
        await app.Services.GetRequiredService<SyncCoordinator>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"The run took {watch.Elapsed} to stop");
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(runId.ToString(), StringComparison.Ordinal)
            && (l.Contains("marked abandoned", StringComparison.Ordinal) || l.Contains("Could not record the end", StringComparison.Ordinal)));
        Assert.Equal(0, await RowsLeftAsync(app, id));
    }

    private static FakeBridge Bridge(out JsonObject[] users)
    {
        var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        users =
        [
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org", "Ada", "Lovelace"),
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA2", "grace@example.org", "Grace", "Hopper"),
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA3", "alan@example.org", "Alan", "Turing"),
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA4", "edsger@example.org", "Edsger", "Dijkstra"),
            ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAA5", "barbara@example.org", "Barbara", "Liskov"),
        ];
        bridge.ServePaged("Users", users, SyncApp.PageSize);
        bridge.ServePaged("Groups", [ScimPayload.Group("gAAAAAAAAAAAAAAAAAAAAAAAA1", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAA1", "UAAAAAAAAAAAAAAAAAAAAAAAA2")], SyncApp.PageSize);
        bridge.RejectOtherTokens();
        return bridge;
    }

    private static async Task<Guid> StartAsync(HttpClient client, Guid connectionId)
    {
        var started = await client.PostAsync($"/api/v1/tenants/acme/connections/{connectionId}/syncs", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task AssertGoneFromTheApiAsync(HttpClient client, Guid id, Guid runId)
    {
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/tenants/acme/connections/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/tenants/acme/connections/{id}/syncs")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/tenants/acme/connections/{id}/syncs/{runId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/tenants/acme/connections/{id}/users")).StatusCode);
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/tenants/acme/connections");
        Assert.DoesNotContain(list.EnumerateArray(), c => c.GetProperty("id").GetGuid() == id);
    }

    private string? CancelledLine(Guid runId) => app.Logs.Lines.FirstOrDefault(l =>
        l.Contains(runId.ToString(), StringComparison.Ordinal) && l.Contains("was cancelled", StringComparison.Ordinal));

    private async Task<List<string>> StoredDirectoryAsync(Guid id) =>
    [
        .. await app.QueryAsync("SELECT scim_id, user_name, valid_from, last_seen_at, removed_at FROM directory_users WHERE connection_id = @c ORDER BY 1", id),
        .. await app.QueryAsync("SELECT scim_id, display_name, valid_from, last_seen_at FROM directory_groups WHERE connection_id = @c ORDER BY 1", id),
        .. await app.QueryAsync("SELECT group_id, member_id, valid_from, last_seen_at FROM memberships WHERE connection_id = @c ORDER BY 1, 2", id),
        .. await app.QueryAsync("SELECT count(*) FROM change_events WHERE connection_id = @c", id),
        .. await app.QueryAsync("SELECT status, last_successful_sync_at FROM connections WHERE id = @c", id),
    ];

    /// <summary>Rows of the connection in every table that has a connection_id column, and the connection itself.</summary>
    internal static async Task<long> RowsLeftAsync(SyncApp app, Guid connectionId)
    {
        var tables = await app.QueryAsync(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'connection_id' AND @c IS NOT NULL",
            connectionId);
        Assert.NotEmpty(tables);
        var total = long.Parse((await app.QueryAsync("SELECT count(*) FROM connections WHERE id = @c", connectionId)).Single(), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var table in tables)
        {
            total += long.Parse((await app.QueryAsync($"SELECT count(*) FROM \"{table}\" WHERE connection_id = @c", connectionId)).Single(),
                System.Globalization.CultureInfo.InvariantCulture);
        }

        return total;
    }

    internal static async Task WaitForAsync(Func<Task<bool>> condition, string failure, Action? tick = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            tick?.Invoke();
            await Task.Delay(50);
        }
    }
}

/// <summary>
/// A bridge that stops answering: the page of <paramref name="resource"/> at <paramref name="startIndex"/> is held
/// unanswered until released (or disposed), as long as five minutes; then it is answered with <paramref name="answer"/>,
/// or a 503 without one.
/// </summary>
internal sealed class StuckPage : IDisposable
{
    private readonly TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StuckPage(FakeBridge bridge, string resource, int startIndex, JsonNode? answer = null) =>
        bridge.Server.Given(Request.Create().WithPath($"/scim/{resource}").UsingGet()
                .WithParam("startIndex", startIndex.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithHeader("Authorization", $"Bearer {bridge.Token}"))
            .AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(async _ =>
            {
                arrived.TrySetResult();
                await release.Task.WaitAsync(TimeSpan.FromMinutes(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return answer is null
                    ? new WireMock.ResponseMessage { StatusCode = 503 }
                    : FakeBridge.JsonMessage(answer);
            }));

    public Task Arrived => arrived.Task;

    public void Release() => release.TrySetResult();

    public void Dispose() => Release();
}
