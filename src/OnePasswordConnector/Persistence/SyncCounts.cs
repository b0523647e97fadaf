using System.Reflection;
using System.Text.Json;
using Npgsql;

namespace OnePasswordConnector.Persistence;

/// <summary>
/// What one run saw on the bridge and changed in the directory: the twelve counters of a run, kept once for the
/// <see cref="SyncRun"/> entity (as a complex type on the columns of <c>sync_runs</c>), the staging, the completed
/// run's SQL and the API's response.
/// </summary>
internal sealed class SyncCounts
{
    // Read once: every int property is a counter, stored in the column its snake_case name gives (users_seen, ...).
    private static readonly PropertyInfo[] Counters = typeof(SyncCounts).GetProperties().Where(p => p.PropertyType == typeof(int)).ToArray();

    private static readonly string[] CounterColumns = Counters.Select(p => Column(p.Name)).ToArray();

    public int UsersSeen { get; set; }
    public int UsersAdded { get; set; }
    public int UsersChanged { get; set; }
    public int UsersRemoved { get; set; }
    public int GroupsSeen { get; set; }
    public int GroupsAdded { get; set; }
    public int GroupsChanged { get; set; }
    public int GroupsRemoved { get; set; }
    public int MembershipsSeen { get; set; }
    public int MembershipsAdded { get; set; }
    public int MembershipsRemoved { get; set; }
    public int ChangeEvents { get; set; }

    /// <summary>The column a counter is stored in, which is also its SQL parameter's name: UsersSeen is users_seen.</summary>
    public static string Column(string property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property);

    /// <summary><c>users_seen, ...</c>: every counter's column, for an INSERT into sync_runs.</summary>
    public static string Columns { get; } = string.Join(", ", CounterColumns);

    /// <summary>A 0 for each of <see cref="Columns"/>.</summary>
    public static string Zeros { get; } = string.Join(", ", CounterColumns.Select(_ => "0"));

    /// <summary><c>users_seen = @users_seen, ...</c> for every counter: the SET list of an UPDATE of sync_runs.</summary>
    public static string Assignments { get; } = string.Join(", ", CounterColumns.Select(c => $"{c} = @{c}"));

    /// <summary>Binds every counter as the parameter <see cref="Assignments"/> names.</summary>
    public void AddParameters(NpgsqlParameterCollection parameters)
    {
        foreach (var counter in Counters)
        {
            parameters.AddWithValue(Column(counter.Name), (int)counter.GetValue(this)!);
        }
    }
}
