using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.SignIns;

/// <summary>An Events API account allowed two requests an hour.</summary>
public sealed class TwoRequestsAnHourApp : SignInApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Events:RequestsPerHour", "2")];
}

public sealed class RequestLimitTests(TwoRequestsAnHourApp app) : IClassFixture<TwoRequestsAnHourApp>
{
    [Fact]
    public async Task Once_the_hourly_requests_are_spent_collection_stops_with_a_warning_and_keeps_what_it_stored()
    {
        using var bridge = FakeBridge.Healthy();
        using var events = FakeEventsApi.Healthy();
        var now = DateTimeOffset.UtcNow;
        events.ServeAll([.. Enumerable.Range(1, 4).Select(i =>
            FakeEventsApi.Attempt($"H{i}", now.AddDays(-i), "success", "AAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org"))], pageSize: 1);
        var connectionId = await app.RegisterAsync(bridge);
        await app.UseEventsAsync(connectionId, events);

        var first = await app.SyncAndCollectAsync(connectionId);
        var second = await app.SyncAndCollectAsync(connectionId);

        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Equal(["sign_ins_incomplete:hourly_limit"], SignInApp.Warnings(first));
        Assert.Equal(["sign_ins_incomplete:hourly_limit"], SignInApp.Warnings(second));
        Assert.Equal(["reset", "c1"], events.SignInRequests());
        Assert.Equal(["c2|2"], await app.QueryAsync(
            "SELECT s.cursor || '|' || (SELECT count(*) FROM sign_in_attempts a WHERE a.connection_id = @c) FROM events_sources s WHERE s.connection_id = @c", connectionId));
    }
}
