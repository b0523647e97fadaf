using Npgsql;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Tests.Sync;

public sealed class SyncCountsTests
{
    private static readonly string[] RunColumns =
    [
        "users_seen", "users_added", "users_changed", "users_removed", "groups_seen", "groups_added", "groups_changed",
        "groups_removed", "memberships_seen", "memberships_added", "memberships_removed", "change_events",
    ];

    [Fact]
    public void Sync_counts_name_the_twelve_counter_columns_of_sync_runs()
    {
        Assert.Equal(string.Join(", ", RunColumns), SyncCounts.Columns);
        Assert.Equal(string.Join(", ", RunColumns.Select(_ => "0")), SyncCounts.Zeros);
    }

    [Fact]
    public void Sync_counts_bind_each_counter_as_the_parameter_its_assignment_names()
    {
        var counts = new SyncCounts { UsersSeen = 3, GroupsRemoved = 2, ChangeEvents = 7 };
        using var command = new NpgsqlCommand();

        counts.AddParameters(command.Parameters);

        Assert.Equal(string.Join(", ", RunColumns.Select(c => $"{c} = @{c}")), SyncCounts.Assignments);
        Assert.Equal(RunColumns, command.Parameters.Select(p => p.ParameterName));
        Assert.Equal(3, command.Parameters["users_seen"].Value);
        Assert.Equal(2, command.Parameters["groups_removed"].Value);
        Assert.Equal(7, command.Parameters["change_events"].Value);
        Assert.Equal(0, command.Parameters["memberships_added"].Value);
    }
}
