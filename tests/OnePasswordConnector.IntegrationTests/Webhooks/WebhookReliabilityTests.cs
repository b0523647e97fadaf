using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OnePasswordConnector.IntegrationTests.Scheduling;
using OnePasswordConnector.TestSupport;
using OnePasswordConnector.Webhooks;
using Xunit.Abstractions;
using static OnePasswordConnector.IntegrationTests.Webhooks.WebhookDeliveryTests;

namespace OnePasswordConnector.IntegrationTests.Webhooks;

/// <summary>
/// Delivery across outages, retries and replicas on a <see cref="FakeTimeProvider"/>. Each host's worker is driven by the
/// test (one call is one poll); several hosts over one database play replicas.
/// </summary>
public sealed class WebhookReliabilityTests(ITestOutputHelper output)
{
    private static readonly KeyValuePair<string, string?> DrivenWorker = new("Webhooks:WorkerEnabled", "false");

    [Fact]
    public async Task A_subscriber_down_for_an_hour_gets_every_event_afterwards_in_order_per_connection_and_once_across_two_replicas()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var first = await SchedulerApp.StartAsync(time, null, DrivenWorker);
        await using var second = await SchedulerApp.StartAsync(time, first.ConnectionString, DrivenWorker);
        using var north = FakeBridge.Healthy([Ada.User()], [ScimPayload.Group("G1", "Owners", Ada.Id)]);
        using var south = FakeBridge.Healthy([Ada.User()], [ScimPayload.Group("G1", "Owners", Ada.Id)]);
        var connections = new[] { (Bridge: north, Id: await first.RegisterAsync(north, "acme", "North")), (Bridge: south, Id: await first.RegisterAsync(south, "acme", "South")) };
        foreach (var (_, id) in connections)
        {
            await first.SyncAsync(id);
        }

        using var subscriber = new WebhookSubscriber();
        var (_, secret) = await first.SubscribeAsync(subscriber.Url, ["user.joined", "access.privileged_granted"]);
        subscriber.Answer(503);

        // For an hour the subscriber is down while every ten minutes each bridge gains a person who joins Owners.
        var people = new List<JsonObjectBuilder> { Ada };
        for (var minute = 0; minute < 60; minute++)
        {
            if (minute % 10 == 0)
            {
                var n = people.Count + 1;
                people.Add(new JsonObjectBuilder($"U00000000000000000000000{n:00}", $"person{n}@example.org", "Person", $"{n}"));
                foreach (var (bridge, id) in connections)
                {
                    ServeUsers(bridge, 40 - n, [.. people.Select(p => p.User())]);
                    ServeGroups(bridge, 40 - n, ScimPayload.Group("G1", "Owners", [.. people.Select(p => p.Id)]));
                    Assert.Equal("succeeded", (await (minute % 20 == 0 ? first : second).SyncAsync(id)).GetProperty("status").GetString());
                }
            }

            await Task.WhenAll(first.Worker().RunOnceAsync(CancellationToken.None), second.Worker().RunOnceAsync(CancellationToken.None));
            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Empty(subscriber.Accepted);
        var failedAttempts = subscriber.Received.Count;
        subscriber.Answer(200);
        var events = await CountAsync(first, "SELECT count(*) FROM webhook_events");
        Assert.Equal(2 * 6 * 2, events);
        var deadline = time.GetUtcNow().AddHours(3);
        while (await CountAsync(first, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'") < events)
        {
            Assert.True(time.GetUtcNow() < deadline, "The events were not all delivered within three hours of the subscriber coming back");
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAll(first.Worker().RunOnceAsync(CancellationToken.None), second.Worker().RunOnceAsync(CancellationToken.None));
        }

        var accepted = subscriber.Accepted;
        output.WriteLine($"{failedAttempts} attempts failed during the outage; {accepted.Count} deliveries accepted afterwards, " +
                         $"the last {time.GetUtcNow() - SchedulerApp.Epoch} after the outage began");
        Assert.Equal(events, accepted.Count);
        Assert.Equal(accepted.Count, accepted.Select(r => r.Id).Distinct().Count());
        Assert.All(accepted, r => Assert.Equal(r.ExpectedSignature(secret), r.Signature));
        foreach (var (_, id) in connections)
        {
            var order = accepted.Where(r => r.Payload.GetProperty("data").GetProperty("connectionId").GetGuid() == id).Select(r => r.EventId).ToList();
            Assert.Equal(12, order.Count);
            Assert.Equal(order.Order(), order);
        }

        var replicas = await first.QueryAsync("SELECT DISTINCT replica FROM webhook_attempts", Guid.Empty);
        Assert.Equal(2, replicas.Count);
    }

    [Fact]
    public async Task An_event_committed_by_a_replica_that_dies_before_delivering_is_delivered_by_another()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var survivor = await SchedulerApp.StartAsync(time, null, DrivenWorker);
        var dying = await SchedulerApp.StartAsync(time, survivor.ConnectionString, DrivenWorker);
        using var bridge = FakeBridge.Healthy([Ada.User()], [ScimPayload.Group("G1", "Owners", Ada.Id)]);
        var id = await dying.RegisterAsync(bridge);
        await dying.SyncAsync(id);
        using var subscriber = new WebhookSubscriber();
        var (_, secret) = await dying.SubscribeAsync(subscriber.Url, ["access.privileged_granted"]);

        ServeUsers(bridge, 40, Ada.User(), Grace.User());
        ServeGroups(bridge, 40, ScimPayload.Group("G1", "Owners", Ada.Id, Grace.Id));
        time.Advance(TimeSpan.FromMinutes(1));
        await dying.SyncAsync(id);
        await dying.DisposeAsync();

        // The outbox row committed with the sync; no delivery happened.
        Assert.Equal(1, await CountAsync(survivor, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND attempts = 0"));
        Assert.Empty(subscriber.Received);

        await survivor.Worker().RunOnceAsync(CancellationToken.None);

        var received = Assert.Single(subscriber.Received);
        Assert.Equal(received.ExpectedSignature(secret), received.Signature);
        Assert.Equal(Grace.Id, received.Payload.GetProperty("data").GetProperty("member").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_delivery_claimed_by_a_replica_that_died_is_delivered_by_another_once_the_claim_runs_out()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var app = await SchedulerApp.StartAsync(time, null, DrivenWorker);
        using var bridge = FakeBridge.Healthy([Ada.User()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var subscriber = new WebhookSubscriber();
        await app.SubscribeAsync(subscriber.Url, ["user.joined"]);
        ServeUsers(bridge, 40, Ada.User(), Grace.User());
        time.Advance(TimeSpan.FromMinutes(1));
        await app.SyncAsync(id);

        // A replica claims the delivery with the worker's own statement, then dies before posting.
        await using (var db = new NpgsqlConnection(app.ConnectionString))
        {
            await db.OpenAsync();
            await using var claim = new NpgsqlCommand(WebhookSql.Claim, db);
            claim.Parameters.AddWithValue("now", time.GetUtcNow());
            claim.Parameters.AddWithValue("until", time.GetUtcNow().AddSeconds(60));
            claim.Parameters.AddWithValue("batch", 10);
            Assert.Equal(1, await claim.ExecuteNonQueryAsync());
        }

        time.Advance(TimeSpan.FromSeconds(59));
        await app.Worker().RunOnceAsync(CancellationToken.None);
        Assert.Empty(subscriber.Received);

        time.Advance(TimeSpan.FromSeconds(2));
        await app.Worker().RunOnceAsync(CancellationToken.None);
        var received = Assert.Single(subscriber.Received);
        Assert.Equal("user.joined", received.Type);
    }

    [Fact]
    public async Task A_failing_subscriber_is_retried_with_doubling_jittered_waits_for_24_hours_then_the_delivery_fails_and_the_webhook_is_disabled()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var app = await SchedulerApp.StartAsync(time, null, DrivenWorker);
        using var bridge = FakeBridge.Healthy([Ada.User()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var subscriber = new WebhookSubscriber();
        var (webhook, _) = await app.SubscribeAsync(subscriber.Url, ["user.joined", "user.left"]);
        subscriber.Answer(500);
        ServeUsers(bridge, 40, Ada.User(), Grace.User());
        await app.SyncAsync(id);
        var created = time.GetUtcNow();

        // Each poll happens exactly when the delivery is due again.
        var attempts = new List<DateTimeOffset>();
        while (await NextAttemptAsync(app) is { } next)
        {
            Assert.True(attempts.Count < 100, "The delivery was retried more than 100 times: " + string.Join(", ", attempts.Take(20).Select(a => (a - created).TotalSeconds)));
            if (next > time.GetUtcNow())
            {
                time.Advance(next - time.GetUtcNow());
            }

            attempts.Add(time.GetUtcNow());
            await app.Worker().RunOnceAsync(CancellationToken.None);
        }

        var waits = attempts.Zip(attempts.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        output.WriteLine($"{attempts.Count} attempts over {attempts[^1] - created}; waits (s): {string.Join(", ", waits.Take(14).Select(w => w.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)))}");
        // Base 5 s doubling, capped at 60 min, each wait 3/4 of it with the jitter fixed at 0.5.
        Assert.Equal([3.75, 7.5, 15, 30, 60, 120, 240, 480, 960, 1920, 2700, 2700], waits.Take(12).Select(w => Math.Round(w, 2)));
        Assert.InRange(attempts[^1] - created, TimeSpan.FromHours(24), TimeSpan.FromHours(25));
        Assert.Equal(attempts.Count, subscriber.Received.Count);

        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var subscription = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/webhooks/{webhook}");
        Assert.False(subscription.GetProperty("enabled").GetBoolean());
        Assert.Contains("failed for 24 hours (the endpoint answered 500 Internal Server Error)", subscription.GetProperty("disabledReason").GetString(), StringComparison.Ordinal);
        var delivery = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/webhooks/{webhook}/deliveries")).EnumerateArray());
        Assert.Equal("failed", delivery.GetProperty("status").GetString());
        Assert.Equal(attempts.Count, delivery.GetProperty("attempts").GetArrayLength());

        // Disabled, it gets nothing; enabled again, the events that happened meanwhile flow.
        subscriber.Answer(200);
        ServeUsers(bridge, 30, Ada.User());
        await app.SyncAsync(id);
        await app.Worker().RunOnceAsync(CancellationToken.None);
        Assert.DoesNotContain(subscriber.Received, r => r.Status == 200);
        (await client.PatchAsJsonAsync($"/api/v1/tenants/acme/webhooks/{webhook}", new { enabled = true })).EnsureSuccessStatusCode();
        await app.Worker().RunOnceAsync(CancellationToken.None);
        Assert.Equal("user.left", Assert.Single(subscriber.Accepted).Type);
    }

    [Fact]
    public async Task A_subscriber_that_answers_410_Gone_is_disabled_at_once()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var app = await SchedulerApp.StartAsync(time, null, DrivenWorker);
        using var bridge = FakeBridge.Healthy([Ada.User()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var subscriber = new WebhookSubscriber();
        var (webhook, _) = await app.SubscribeAsync(subscriber.Url, ["user.joined"]);
        subscriber.Answer(410);
        ServeUsers(bridge, 40, Ada.User(), Grace.User());
        await app.SyncAsync(id);

        await app.Worker().RunOnceAsync(CancellationToken.None);

        Assert.Single(subscriber.Received);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var subscription = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/webhooks/{webhook}");
        Assert.False(subscription.GetProperty("enabled").GetBoolean());
        Assert.Contains("410 Gone", subscription.GetProperty("disabledReason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_whose_merge_rolls_back_leaves_no_webhook_event_and_the_next_sync_raises_it_once()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var app = await SchedulerApp.StartAsync(time, null, DrivenWorker);
        using var bridge = FakeBridge.Healthy([Ada.User()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var subscriber = new WebhookSubscriber();
        await app.SubscribeAsync(subscriber.Url, ["user.joined", "sync.failed"]);
        ServeUsers(bridge, 40, Ada.User(), Grace.User());

        // The run is marked abandoned while it reads the bridge (as when its lease expired), so its merge transaction
        // finds it no longer running and rolls back: the change events and the outbox rows with it.
        using (var hold = new HeldRequest(bridge, "/scim/Groups"))
        {
            using var client = app.ClientWithKey(ConnectorApp.AdminKey);
            (await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null)).EnsureSuccessStatusCode();
            await hold.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
            await app.QueryAsync("UPDATE sync_runs SET status = 'abandoned', finished_at = now() WHERE connection_id = @c AND status = 'running' RETURNING id", id);
        }

        await app.Coordinator.WhenIdleAsync();
        Assert.Equal(0, await CountAsync(app, "SELECT count(*) FROM change_events"));
        Assert.Equal(0, await CountAsync(app, "SELECT count(*) FROM webhook_events"));
        await app.Worker().RunOnceAsync(CancellationToken.None);
        Assert.Empty(subscriber.Received);

        time.Advance(TimeSpan.FromMinutes(1));
        await app.SyncAsync(id);
        await app.Worker().RunOnceAsync(CancellationToken.None);
        var received = Assert.Single(subscriber.Received);
        Assert.Equal("user.joined", received.Type);
        Assert.Equal(Grace.Id, received.Payload.GetProperty("data").GetProperty("user").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Two_replicas_checking_a_stale_connection_at_once_raise_one_connection_stale()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var first = await SchedulerApp.StartAsync(time, null, DrivenWorker);
        await using var second = await SchedulerApp.StartAsync(time, first.ConnectionString, DrivenWorker);
        using var bridge = FakeBridge.Healthy([Ada.User()], []);
        var id = await first.RegisterAsync(bridge);
        await first.SyncAsync(id);
        using var subscriber = new WebhookSubscriber();
        await first.SubscribeAsync(subscriber.Url, ["connection.stale"]);

        time.Advance(TimeSpan.FromMinutes(2 * 1440));
        for (var pass = 0; pass < 5; pass++)
        {
            await Task.WhenAll(first.Worker().RunOnceAsync(CancellationToken.None), second.Worker().RunOnceAsync(CancellationToken.None));
            time.Advance(TimeSpan.FromMinutes(10));
        }

        Assert.Equal("connection.stale", Assert.Single(subscriber.Accepted).Type);

        // A successful sync ends the spell; staying without one for twice the interval again starts the next.
        await first.SyncAsync(id);
        time.Advance(TimeSpan.FromMinutes(2 * 1440));
        await Task.WhenAll(first.Worker().RunOnceAsync(CancellationToken.None), second.Worker().RunOnceAsync(CancellationToken.None));
        Assert.Equal(2, subscriber.Accepted.Count);
    }

    private static async Task<DateTimeOffset?> NextAttemptAsync(SyncApp app)
    {
        var rows = await app.QueryAsync("SELECT (extract(epoch FROM next_attempt_at) * 1000000)::bigint FROM webhook_deliveries WHERE status = 'pending'", Guid.Empty);
        return rows.Count == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(10 * long.Parse(rows.Single(), System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static async Task<long> CountAsync(SyncApp app, string sql) =>
        long.Parse((await app.QueryAsync(sql, Guid.Empty)).Single(), System.Globalization.CultureInfo.InvariantCulture);
}
