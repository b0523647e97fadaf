using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.SignIns;

/// <summary>Leases of 10 s, renewed every 3 s while a sync runs.</summary>
public sealed class ShortLeaseApp : SignInApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Sync:LeaseSeconds", "10")];
}

public sealed class SlowEventsApiTests(ShortLeaseApp app) : IClassFixture<ShortLeaseApp>
{
    [Fact]
    public async Task A_collection_that_outlasts_the_released_lease_of_its_run_still_reads_to_the_end()
    {
        using var bridge = FakeBridge.Healthy();
        using var events = FakeEventsApi.Healthy();
        var now = DateTimeOffset.UtcNow;
        var ada = (int i) => FakeEventsApi.Attempt($"S{i}", now.AddDays(-i), "success", "AAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org");
        // Each page takes 1.3 s (under Scim:RequestTimeoutSeconds, 2 s, with room for a loaded machine): the three
        // outlast a lease renewal period (3 s).
        events.SignIns(b => !b.TryGetProperty("cursor", out _), priority: 10)
            .RespondWith(FakeEventsApi.Json(200, FakeEventsApi.Page("c1", true, [ada(3)])).WithDelay(TimeSpan.FromMilliseconds(1300)));
        foreach (var (cursor, next, more, day) in new[] { ("c1", "c2", true, 2), ("c2", "c3", false, 1) })
        {
            events.SignIns(b => b.TryGetProperty("cursor", out var c) && c.GetString() == cursor, priority: 10)
                .RespondWith(FakeEventsApi.Json(200, FakeEventsApi.Page(next, more, [ada(day)])).WithDelay(TimeSpan.FromMilliseconds(1300)));
        }

        var connectionId = await app.RegisterAsync(bridge);
        await app.UseEventsAsync(connectionId, events);

        var run = await app.SyncAndCollectAsync(connectionId);

        Assert.Empty(SignInApp.Warnings(run));
        Assert.Equal(["c3|3"], await app.QueryAsync(
            "SELECT s.cursor || '|' || (SELECT count(*) FROM sign_in_attempts a WHERE a.connection_id = @c) FROM events_sources s WHERE s.connection_id = @c", connectionId));
    }
}
