using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Benchmarks;

/// <summary>
/// The physical floor of the write: binary COPY of the synced rows into empty tables shaped like the real ones. The
/// rows go to disk first, never to a list, so that the benchmark's own memory stays bounded by a page at XL
/// (1,000,000 users and 5,000,000 memberships would take gigabytes as objects).
/// </summary>
internal static class WriteFloor
{
    private const string UserColumns = """
        floor_users (connection_id, scim_id, external_id, user_name, given_name, family_name, formatted_name, display_name,
            primary_email, emails, active, state, scim_created_at, scim_last_modified_at, raw, content_hash, valid_from, first_seen_at, last_seen_at)
        """;

    private const string GroupColumns = """
        floor_groups (connection_id, scim_id, display_name, external_id, scim_created_at, scim_last_modified_at, raw, content_hash,
            valid_from, first_seen_at, last_seen_at)
        """;

    private const string MembershipColumns = "floor_memberships (connection_id, group_id, member_id, member_type, valid_from, first_seen_at, last_seen_at)";

    private static readonly string[] Tables = [UserColumns, GroupColumns, MembershipColumns];

    /// <summary>
    /// Untimed: reads every page again and streams its rows into the floor tables, then copies each table out to a file
    /// in COPY's binary format and empties the tables. Timed: the three binary COPYs from those files, one after another
    /// on one connection, as the rows would arrive from a client.
    /// </summary>
    public static async Task<double> MeasureAsync(string connectionString, Guid connectionId, ScimPager pager, BridgeEndpoint endpoint)
    {
        var files = Directory.CreateTempSubdirectory("opc-write-floor-");
        try
        {
            await using var db = new NpgsqlConnection(connectionString);
            await db.OpenAsync();
            await CreateEmptyTablesAsync(db);
            await LoadAsync(connectionString, connectionId, pager, endpoint);
            for (var i = 0; i < Tables.Length; i++)
            {
                await using var file = File.Create(Path.Combine(files.FullName, $"{i}.copy"));
                await using var copy = await db.BeginRawBinaryCopyAsync($"COPY {Tables[i]} TO STDOUT (FORMAT BINARY)");
                await copy.CopyToAsync(file);
            }

            await CreateEmptyTablesAsync(db);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Tables.Length; i++)
            {
                await using var file = File.OpenRead(Path.Combine(files.FullName, $"{i}.copy"));
                await using var copy = await db.BeginRawBinaryCopyAsync($"COPY {Tables[i]} FROM STDIN (FORMAT BINARY)");
                await file.CopyToAsync(copy);
            }

            return watch.Elapsed.TotalSeconds;
        }
        finally
        {
            files.Delete(recursive: true);
        }
    }

    private static async Task CreateEmptyTablesAsync(NpgsqlConnection db)
    {
        await using var create = new NpgsqlCommand("""
            DROP TABLE IF EXISTS floor_users, floor_groups, floor_memberships;
            CREATE TABLE floor_users (LIKE directory_users INCLUDING ALL);
            CREATE TABLE floor_groups (LIKE directory_groups INCLUDING ALL);
            CREATE TABLE floor_memberships (LIKE memberships INCLUDING ALL);
            """, db);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>One connection per table, because a connection carries one COPY at a time and groups feed two tables.</summary>
    private static async Task LoadAsync(string connectionString, Guid connectionId, ScimPager pager, BridgeEndpoint endpoint)
    {
        var now = DateTimeOffset.UtcNow;
        var progress = new NoProgress();
        await using var groupsDb = new NpgsqlConnection(connectionString);
        await using var membershipsDb = new NpgsqlConnection(connectionString);
        await using var usersDb = new NpgsqlConnection(connectionString);
        await Task.WhenAll(groupsDb.OpenAsync(), membershipsDb.OpenAsync(), usersDb.OpenAsync());

        await using (var groups = await groupsDb.BeginBinaryImportAsync($"COPY {GroupColumns} FROM STDIN (FORMAT BINARY)"))
        await using (var memberships = await membershipsDb.BeginBinaryImportAsync($"COPY {MembershipColumns} FROM STDIN (FORMAT BINARY)"))
        {
            await foreach (var item in pager.EnumerateAsync(endpoint, "Groups", progress, new EnumerationRecord()))
            {
                var group = ScimGroup.Parse(item.Resource, item.Members);
                await WriteGroupAsync(groups, connectionId, group, now);
                foreach (var member in group.Members ?? [])
                {
                    await WriteMembershipAsync(memberships, connectionId, group.Id, member, now);
                }
            }

            await groups.CompleteAsync();
            await memberships.CompleteAsync();
        }

        await using var users = await usersDb.BeginBinaryImportAsync($"COPY {UserColumns} FROM STDIN (FORMAT BINARY)");
        await foreach (var item in pager.EnumerateAsync(endpoint, "Users", progress, new EnumerationRecord()))
        {
            await WriteUserAsync(users, connectionId, ScimUser.Parse(item.Resource), now);
        }

        await users.CompleteAsync();
    }

    private static async Task WriteUserAsync(NpgsqlBinaryImporter writer, Guid connectionId, ScimUser u, DateTimeOffset now)
    {
        await writer.StartRowAsync();
        await writer.WriteAsync(connectionId, NpgsqlDbType.Uuid);
        await writer.WriteAsync(u.Id, NpgsqlDbType.Text);
        await Nullable(writer, u.ExternalId);
        await writer.WriteAsync(u.UserName, NpgsqlDbType.Text);
        await Nullable(writer, u.GivenName);
        await Nullable(writer, u.FamilyName);
        await Nullable(writer, u.FormattedName);
        await Nullable(writer, u.DisplayName);
        await Nullable(writer, u.PrimaryEmail);
        await writer.WriteAsync(u.Emails, NpgsqlDbType.Array | NpgsqlDbType.Text);
        await writer.WriteAsync(u.Active, NpgsqlDbType.Boolean);
        await Nullable(writer, u.State);
        await NullableTime(writer, u.Created);
        await NullableTime(writer, u.LastModified);
        await writer.WriteAsync(u.RawUtf8, NpgsqlDbType.Jsonb);
        await writer.WriteAsync(u.Hash, NpgsqlDbType.Bytea);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
    }

    private static async Task WriteGroupAsync(NpgsqlBinaryImporter writer, Guid connectionId, ScimGroup g, DateTimeOffset now)
    {
        await writer.StartRowAsync();
        await writer.WriteAsync(connectionId, NpgsqlDbType.Uuid);
        await writer.WriteAsync(g.Id, NpgsqlDbType.Text);
        await writer.WriteAsync(g.DisplayName, NpgsqlDbType.Text);
        await Nullable(writer, g.ExternalId);
        await NullableTime(writer, g.Created);
        await NullableTime(writer, g.LastModified);
        await writer.WriteAsync(g.Raw, NpgsqlDbType.Jsonb);
        await writer.WriteAsync(g.Hash, NpgsqlDbType.Bytea);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
    }

    private static async Task WriteMembershipAsync(NpgsqlBinaryImporter writer, Guid connectionId, string groupId, ScimMember m, DateTimeOffset now)
    {
        await writer.StartRowAsync();
        await writer.WriteAsync(connectionId, NpgsqlDbType.Uuid);
        await writer.WriteAsync(groupId, NpgsqlDbType.Text);
        await writer.WriteAsync(m.Id, NpgsqlDbType.Text);
        await writer.WriteAsync(m.Type, NpgsqlDbType.Text);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
    }

    private static Task Nullable(NpgsqlBinaryImporter writer, string? value) =>
        value is null ? writer.WriteNullAsync() : writer.WriteAsync(value, NpgsqlDbType.Text);

    private static Task NullableTime(NpgsqlBinaryImporter writer, DateTimeOffset? value) =>
        value is { } v ? writer.WriteAsync(v.ToUniversalTime(), NpgsqlDbType.TimestampTz) : writer.WriteNullAsync();

    private sealed class NoProgress : IEnumerationProgress
    {
        public void PageRead(string resourceType, int resources)
        {
        }
    }
}
