using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

/// <summary>
/// The read side's speed-ups change how an answer is computed, never the answer: q through the trigram index, queries
/// shaped to what a snapshot holds (no nesting, no sign-ins), JIT off for the read's session.
/// </summary>
public sealed class FastReadsTests(SyncApp app) : IClassFixture<SyncApp>
{
    private const int BulkUsers = 50_000;

    private static readonly JsonObject[] People =
    [
        Ada(), Grace(), Linus(), Jean(),
        ScimPayload.User("UEEEEEEEEEEEEEEEEEEEEEEEEE", "zoe.muller@example.org", "Zoë", "Müller"),
        ScimPayload.User("UFFFFFFFFFFFFFFFFFFFFFFFFF", "percent@example.org", "Hundred", "100% Sure"),
        ScimPayload.User("UGGGGGGGGGGGGGGGGGGGGGGGGG", "a_b@example.org", "Under", "Score"),
        ScimPayload.User("UHHHHHHHHHHHHHHHHHHHHHHHHH", "zed@example.org", "ZOË", "Ng"),
    ];

    [Fact]
    public async Task Search_q_finds_exactly_the_users_whose_text_contains_it_through_the_trigram_index()
    {
        using var bridge = Bridge(People, [Owners(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        await AddBulkUsersAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        foreach (var term in new[] { "zoë", "MÜLLER", "100%", "a_b", "bulk user 1234", "bulk user 4077", "@example.org", "ada", "nobody-has-this" })
        {
            var found = await GetAllPagesAsync(client, $"/api/v1/tenants/acme/connections/{id}/users?q={Uri.EscapeDataString(term)}", 37);
            var expected = await app.QueryAsync($"""
                SELECT scim_id FROM directory_users
                WHERE connection_id = @c AND removed_at IS NULL
                  AND (strpos(lower(user_name), lower({Literal(term)})) > 0 OR strpos(lower(coalesce(display_name, '')), lower({Literal(term)})) > 0
                    OR strpos(lower(coalesce(primary_email, '')), lower({Literal(term)})) > 0 OR strpos(lower(coalesce(formatted_name, '')), lower({Literal(term)})) > 0)
                ORDER BY user_name, scim_id
                """, id);
            Assert.Equal(expected, found.Select(u => u.GetProperty("id").GetString()!).ToList());
        }

        foreach (var pattern in new[] { "%zoë%", "%bulk user 1234%" })
        {
            var plan = await PlanAsync(id, pattern);
            Assert.True(plan.Contains("ix_directory_users_search", StringComparison.Ordinal), plan);
        }
    }

    [Fact]
    public async Task A_search_for_a_common_name_pages_through_exactly_its_matches_sorting_only_the_page()
    {
        using var bridge = Bridge(People, [Owners(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        await AddBulkUsersAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var users = $"/api/v1/tenants/acme/connections/{id}/users";

        // "bulk user 1" is in 11,111 of the 50,000 bulk users (1, 10 to 19, 100 to 199, ...): a common name.
        foreach (var (query, order) in new[]
        {
            ("q=bulk%20user%201", "user_name, scim_id"),
            ("q=BULK%20USER%201&sort=name", "COALESCE(display_name, formatted_name, user_name), scim_id"),
            ("q=bulk%20user%201&status=active", "user_name, scim_id"),
            ("q=bulk%20user%201&status=inactive", "user_name, scim_id"),
        })
        {
            var found = await GetAllPagesAsync(client, $"{users}?{query}", 1000);
            var expected = await app.QueryAsync($"""
                SELECT scim_id FROM directory_users
                WHERE connection_id = @c AND removed_at IS NULL AND strpos(lower(formatted_name), 'bulk user 1') > 0
                  AND {(query.EndsWith("inactive", StringComparison.Ordinal) ? "NOT active" : "true")}
                ORDER BY {order}
                """, id);
            Assert.Equal(expected, found.Select(u => u.GetProperty("id").GetString()!).ToList());
            Assert.Equal(query.EndsWith("inactive", StringComparison.Ordinal) ? 0 : 11_111, found.Count);
        }

        // With a filter on the users' groups, the matches are found and sorted before the groups decide: the same answer.
        Assert.Equal(["UAAAAAAAAAAAAAAAAAAAAAAAAA"],
            Ids((await GetJsonAsync(client, $"{users}?q=lovelace&groupId={OwnersId}")).GetProperty("items").EnumerateArray()));

        // PostgreSQL keeps only the page's rows while it sorts the matches (a top-N heapsort), without parallel workers;
        // the query that filters on groups sorts every match. (How it finds the matches depends on the other tenants in
        // the table: the trigram index holds theirs too, so with another 50,000 bulk users it may walk this tenant's.)
        var plan = await PlanAsync(id, "%bulk user 1%", analyze: true);
        Assert.Contains("top-N heapsort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Gather", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("top-N heapsort", await PlanAsync(id, "%bulk user 1%", analyze: true, sql: AccessReviewSql.UsersMatching), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sheet_and_the_users_pages_of_a_snapshot_without_nesting_or_sign_ins_are_those_of_the_full_queries()
    {
        using var bridge = Bridge(People, [Owners(AdaId, GraceId), Engineering(GraceId, LinusId, "UEEEEEEEEEEEEEEEEEEEEEEEEE")]);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var served = await client.GetByteArrayAsync($"/api/v1/tenants/acme/connections/{id}/access-review?format=csv");

        var queries = app.Services.GetRequiredService<AccessReviewQueries>();
        var scope = new Scope(await ConnectionAsync(id), null);
        var full = new DefaultHttpContext { Response = { Body = new MemoryStream() } };
        await new AccessReviewCsv(token => queries.OpenSheetAsync(scope, token, SnapshotShape.Full), scope.Connection.LastSuccessfulSyncAt, true)
            .ExecuteAsync(full);
        Assert.Equal(((MemoryStream)full.Response.Body).ToArray(), served);
        Assert.Equal(People.Length + 1, Encoding(served).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length - 1);

        foreach (var filter in new[]
        {
            new UserFilter(null, null, null, false, "userName"), new UserFilter(null, null, "%e%", false, "name"),
            new UserFilter("active", EngineeringId, null, false, "userName"),
        })
        {
            var shaped = await queries.UsersAsync(scope, filter, null, 3, CancellationToken.None);
            var whole = await queries.UsersAsync(scope, filter, null, 3, CancellationToken.None, SnapshotShape.Full);
            Assert.NotEmpty(whole.Items);
            Assert.Equal(JsonSerializer.Serialize(whole), JsonSerializer.Serialize(shaped));
        }
    }

    [Fact]
    public async Task Read_side_connections_run_without_jit_and_go_back_to_the_pool_with_the_servers_settings()
    {
        var data = app.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var admin = await data.OpenConnectionAsync())
        {
            await using var on = new NpgsqlCommand($"ALTER DATABASE \"{admin.Database}\" SET jit = on", admin);
            await on.ExecuteNonQueryAsync();
        }

        data.Clear();
        var queries = app.Services.GetRequiredService<AccessReviewQueries>();
        await using (var read = await queries.OpenAsync(CancellationToken.None))
        {
            Assert.Equal("off", await JitAsync(read));
        }

        await using (var next = await data.OpenConnectionAsync())
        {
            Assert.Equal("on", await JitAsync(next));
        }

        // A search also turns sequential scans and parallel workers off for its session; whichever pooled connection served it comes back
        // with the server's settings.
        using var bridge = Bridge(People, []);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        data.Clear();
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        Assert.Single((await GetJsonAsync(client, $"/api/v1/tenants/acme/connections/{id}/users?q=lovelace")).GetProperty("items").EnumerateArray());
        var pooled = new List<NpgsqlConnection>();
        for (var i = 0; i < 4; i++)
        {
            pooled.Add(await data.OpenConnectionAsync());
        }

        foreach (var connection in pooled)
        {
            Assert.Equal("on", await JitAsync(connection));
            await using var show = new NpgsqlCommand("SHOW enable_seqscan", connection);
            Assert.Equal("on", (string?)await show.ExecuteScalarAsync());
            await using var parallel = new NpgsqlCommand("SHOW max_parallel_workers_per_gather", connection);
            Assert.NotEqual("0", (string?)await parallel.ExecuteScalarAsync());
            await connection.DisposeAsync();
        }
    }

    private static string Encoding(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task<string?> JitAsync(NpgsqlConnection connection)
    {
        await using var show = new NpgsqlCommand("SHOW jit", connection);
        return (string?)await show.ExecuteScalarAsync();
    }

    private async Task<Persistence.Connection> ConnectionAsync(Guid id)
    {
        using var scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ConnectorDbContext>().Connections.AsNoTracking().SingleAsync(c => c.Id == id);
    }

    /// <summary>Enough users beside the synced ones for the planner to prefer an index to reading them all.</summary>
    private async Task AddBulkUsersAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await ReviewDirectory.AddBulkUsersAsync(connection, id, BulkUsers);
        await using var analyze = new NpgsqlCommand("ANALYZE directory_users", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// The plan of the first page of a q search, as the service sends it: in a search's session (JIT off, indexes
    /// preferred, no parallel workers: the service's own SearchShape statement), shaped as the snapshot.
    /// </summary>
    private async Task<string> PlanAsync(Guid id, string pattern, bool analyze = false, string? sql = null)
    {
        var queries = app.Services.GetRequiredService<AccessReviewQueries>();
        await using var connection = await queries.OpenAsync(CancellationToken.None);
        await using (var session = SnapshotCommand(connection, id, "", AccessReviewSql.SearchShape, pattern))
        {
            await session.ExecuteNonQueryAsync();
        }

        await using (var show = new NpgsqlCommand("SHOW max_parallel_workers_per_gather", connection))
        {
            Assert.Equal("0", (string?)await show.ExecuteScalarAsync());
        }

        await using var command = SnapshotCommand(connection, id, analyze ? "EXPLAIN (ANALYZE) " : "EXPLAIN ",
            AccessReviewSql.For(sql ?? AccessReviewSql.UsersMatchingPage, new SnapshotShape(false, false)), pattern);
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }

        return string.Join("\n", plan);
    }

    /// <summary>
    /// <paramref name="sql"/> after the current snapshot's WITH clause (and <paramref name="explain"/> before it), with
    /// the parameters of a first users page searching <paramref name="pattern"/>.
    /// </summary>
    private static NpgsqlCommand SnapshotCommand(NpgsqlConnection connection, Guid id, string explain, string sql, string pattern)
    {
#pragma warning disable CA2100 // Composed of the service's own SQL constants.
        var command = new NpgsqlCommand(explain + AccessReviewSql.Snapshot(asOf: false) + sql, connection);
#pragma warning restore CA2100
        foreach (var (name, type, value) in new (string, NpgsqlDbType, object?)[]
        {
            ("c", NpgsqlDbType.Uuid, id), ("t", NpgsqlDbType.TimestampTz, null), ("v", NpgsqlDbType.TimestampTz, null),
            ("synced", NpgsqlDbType.TimestampTz, DateTimeOffset.UtcNow), ("removed", NpgsqlDbType.Boolean, false),
            ("now", NpgsqlDbType.TimestampTz, DateTimeOffset.UtcNow), ("sort_by_name", NpgsqlDbType.Boolean, false),
            ("status", NpgsqlDbType.Text, null), ("group", NpgsqlDbType.Text, null), ("q", NpgsqlDbType.Text, pattern),
            ("dormant_days", NpgsqlDbType.Integer, null), ("after_key", NpgsqlDbType.Text, null), ("after_id", NpgsqlDbType.Text, null),
            ("limit", NpgsqlDbType.Integer, 101),
        })
        {
            command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
