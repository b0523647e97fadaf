using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Tests.Connections;

public sealed class ConnectionScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_connection_that_never_synced_successfully_is_due_at_once()
    {
        var connection = Connection(lastSuccess: null, lastFinished: Now.AddMinutes(-1), interval: 60);

        Assert.Equal(Now, connection.NextDue(Now));
    }

    [Fact]
    public void A_connection_that_synced_is_due_an_interval_after_its_last_sync_ended()
    {
        var connection = Connection(lastSuccess: Now.AddMinutes(-10), lastFinished: Now.AddMinutes(-10), interval: 60);

        Assert.Equal(Now.AddMinutes(50), connection.NextDue(Now));
    }

    [Fact]
    public void A_connection_whose_interval_has_passed_is_due_now_not_in_the_past()
    {
        var connection = Connection(lastSuccess: Now.AddDays(-2), lastFinished: Now.AddDays(-2), interval: 60);

        Assert.Equal(Now, connection.NextDue(Now));
    }

    private static Connection Connection(DateTimeOffset? lastSuccess, DateTimeOffset? lastFinished, int interval) => new()
    {
        TenantId = "acme",
        Name = "Acme",
        ScimBaseUrl = "https://op-scim.example.org/scim",
        ProtectedToken = "protected",
        TokenHint = "…1234",
        SyncIntervalMinutes = interval,
        LastSuccessfulSyncAt = lastSuccess,
        LastSyncFinishedAt = lastFinished,
    };
}
