using System.Text.Json;
using Npgsql;
using OnePasswordConnector.Sync;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// Every sync ends by listing the group members that are no user or group; on a directory where every member is known
/// that check must read each table once, not probe an index per membership (with the planner expecting a few unknown ones, that took seconds of every sync at 500,000 memberships).
/// </summary>
public sealed class UnknownMemberCheckTests(SyncApp app) : IClassFixture<SyncApp>
{
    private const int BulkUsers = 50_000;
    private const int GroupsPerUser = 5;
    private const int Groups = 2_000;

    [Fact]
    public async Task The_unknown_member_check_reads_a_large_directory_once_and_still_finds_the_unknown_members()
    {
        using var bridge = Bridge([Ada(), Grace()], [Owners(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await AddBulkDirectoryAsync(connection, id);

        var (unknown, total) = await UnknownMembersAsync(connection, id);
        var (buffers, pages) = await WorkAsync(connection, id);

        Assert.Equal(["GBULK1|GHOST-1", "GBULK2|GHOST-2"], unknown);
        Assert.Equal(2, total);
        Assert.True(buffers <= 2 * pages, $"the check touched {buffers:N0} buffers for {pages:N0} pages of tables and indexes");
    }

    private static async Task AddBulkDirectoryAsync(NpgsqlConnection connection, Guid id)
    {
        await AddBulkUsersAsync(connection, id, BulkUsers);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO directory_groups (connection_id, scim_id, display_name, raw, content_hash, valid_from, first_seen_at, last_seen_at)
            SELECT @c, 'GBULK' || g, 'Bulk group ' || g, '{}'::jsonb, '\x00', now(), now(), now()
            FROM generate_series(1, @groups) g;
            INSERT INTO memberships (connection_id, group_id, member_id, member_type, valid_from, first_seen_at, last_seen_at)
            SELECT DISTINCT @c::uuid, 'GBULK' || (1 + (n * 7919 + k * 104729) % @groups), 'B' || lpad(n::text, 25, '0'), 'User', now(), now(), now()
            FROM generate_series(1, @n) n, generate_series(1, @per_user) k
            UNION ALL SELECT @c, 'GBULK' || g, 'GHOST-' || g, 'User', now(), now(), now() FROM generate_series(1, 2) g;
            ANALYZE directory_users; ANALYZE directory_groups; ANALYZE memberships;
            """, connection);
        insert.Parameters.AddWithValue("c", id);
        insert.Parameters.AddWithValue("n", BulkUsers);
        insert.Parameters.AddWithValue("groups", Groups);
        insert.Parameters.AddWithValue("per_user", GroupsPerUser);
        await insert.ExecuteNonQueryAsync();
    }

    private static async Task<(List<string> Unknown, int Total)> UnknownMembersAsync(NpgsqlConnection connection, Guid id)
    {
        await using var command = Check(connection, id, "");
        await using var reader = await command.ExecuteReaderAsync();
        var unknown = new List<string>();
        var total = 0;
        while (await reader.ReadAsync())
        {
            unknown.Add($"{reader.GetString(0)}|{reader.GetString(1)}");
            total = reader.GetInt32(2);
        }

        return (unknown, total);
    }

    /// <summary>Buffers the check touched, and the pages of the three tables with their indexes.</summary>
    private static async Task<(long Buffers, long Pages)> WorkAsync(NpgsqlConnection connection, Guid id)
    {
        await using var explain = Check(connection, id, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ");
        using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);
        var top = plan.RootElement[0].GetProperty("Plan");
        var buffers = top.GetProperty("Shared Hit Blocks").GetInt64() + top.GetProperty("Shared Read Blocks").GetInt64();
        await using var size = new NpgsqlCommand("""
            SELECT sum(pg_total_relation_size(t) / current_setting('block_size')::bigint)::bigint
            FROM unnest(ARRAY['directory_users', 'directory_groups', 'memberships']::regclass[]) t
            """, connection);
        return (buffers, (long)(await size.ExecuteScalarAsync())!);
    }

    private static NpgsqlCommand Check(NpgsqlConnection connection, Guid id, string prefix)
    {
#pragma warning disable CA2100 // The service's own SQL constant, optionally behind EXPLAIN.
        var command = new NpgsqlCommand(prefix + RunSql.UnknownMembers, connection);
#pragma warning restore CA2100
        command.Parameters.AddWithValue("c", id);
        command.Parameters.AddWithValue("limit", SyncWarnings.Kept);
        return command;
    }
}
