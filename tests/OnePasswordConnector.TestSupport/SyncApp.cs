using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.TestSupport;

/// <summary>The service set up for sync tests: small pages, fast retries, and helpers to run a sync and read the result.</summary>
public class SyncApp : ConnectorApp
{
    public const int PageSize = 2;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Sync:PageSize", PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Scim:Retries", "2"),
        new("Scim:RetryBaseDelayMilliseconds", "1"),
        new("Scim:RequestTimeoutSeconds", "2"),
    ];

    /// <summary>Starts a sync through the API and polls its run until it ends (deadline 60 s).</summary>
    public async Task<JsonElement> SyncAsync(Guid connectionId, string tenant = Acme)
    {
        using var client = ClientWithKey(AdminKey);
        var started = await client.PostAsync($"/api/v1/tenants/{tenant}/connections/{connectionId}/syncs", null);
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"Sync did not start: {(int)started.StatusCode} {await started.Content.ReadAsStringAsync()}");
        var location = started.Headers.Location!.OriginalString;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var run = await client.GetFromJsonAsync<JsonElement>(location);
            if (run.GetProperty("status").GetString() != "running")
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The sync did not finish in time: {run}");
            await Task.Delay(25);
        }
    }

    public async Task<List<string>> QueryAsync(string sql, Guid connectionId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    /// <summary>Current (not removed) users as "id|userName|active".</summary>
    public Task<List<string>> CurrentUsersAsync(Guid connectionId) =>
        QueryAsync("SELECT scim_id, user_name, active FROM directory_users WHERE connection_id = @c AND removed_at IS NULL ORDER BY scim_id", connectionId);

    /// <summary>Current memberships as "groupId>memberId".</summary>
    public Task<List<string>> CurrentMembershipsAsync(Guid connectionId) =>
        QueryAsync("SELECT group_id || '>' || member_id FROM memberships WHERE connection_id = @c AND removed_at IS NULL ORDER BY 1", connectionId);

    /// <summary>
    /// Every stored row of the connection's directory and history, with its timestamps, and the change events: equal
    /// before and after a run exactly when the run changed nothing.
    /// </summary>
    public Task<List<string>> StoredDirectoryAsync(Guid connectionId) => QueryAsync("""
        SELECT 'user ' || u::text FROM directory_users u WHERE connection_id = @c
        UNION ALL SELECT 'user history ' || h::text FROM user_history h WHERE connection_id = @c
        UNION ALL SELECT 'group ' || g::text FROM directory_groups g WHERE connection_id = @c
        UNION ALL SELECT 'group history ' || h::text FROM group_history h WHERE connection_id = @c
        UNION ALL SELECT 'membership ' || m::text FROM memberships m WHERE connection_id = @c
        UNION ALL SELECT 'membership history ' || h::text FROM membership_history h WHERE connection_id = @c
        UNION ALL SELECT 'event ' || e::text FROM change_events e WHERE connection_id = @c
        ORDER BY 1
        """, connectionId);

    public Task<List<string>> ChangeEventsAsync(Guid connectionId, Guid? runId = null) =>
        QueryAsync(runId is null
            ? "SELECT kind || ':' || subject_id FROM change_events WHERE connection_id = @c ORDER BY id"
            : $"SELECT kind || ':' || subject_id FROM change_events WHERE connection_id = @c AND sync_run_id = '{runId}' ORDER BY id", connectionId);
}
