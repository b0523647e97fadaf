using System.Runtime.CompilerServices;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.AccessReview;

internal sealed partial class AccessReviewQueries
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public async Task<PageResponse<AccessReviewRow>> ReviewPageAsync(Scope scope, string[]? after, int take, CancellationToken cancellationToken)
    {
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var command = SnapshotCommand(connection, AccessReviewSql.AccessReview, scope);
        command.Add("after_key", NpgsqlDbType.Text, after?[0]);
        command.Add("after_id", NpgsqlDbType.Text, after?[1]);
        command.Add("after_group", NpgsqlDbType.Text, after?[2]);
        command.Add("limit", NpgsqlDbType.Integer, take + 1);
        return await PageAsync<AccessReviewRow, AccessReviewRow>(scope, command, take, reader => new ReviewRowColumns(reader).Read,
            last => QueryParameters.EncodeCursor("access-review", last.UserName, last.UserId, last.GroupId ?? ""), row => row, cancellationToken);
    }

    /// <summary>
    /// The whole review sheet in the order of its pages, read as the database returns it. A snapshot without nesting
    /// takes the direct-only query, which PostgreSQL may run in parallel.
    /// </summary>
    public async IAsyncEnumerable<AccessReviewRow> SheetAsync(Scope scope, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool nesting;
        await using (var connection = await data.OpenConnectionAsync(cancellationToken))
        await using (var command = SnapshotCommand(connection, AccessReviewSql.HasNesting, scope))
        {
            nesting = await command.ExecuteScalarAsync(cancellationToken) is true;
        }

        await using var sheetConnection = await data.OpenConnectionAsync(cancellationToken);
        await using var sheet = SnapshotCommand(sheetConnection, nesting ? AccessReviewSql.AccessReviewSheet : AccessReviewSql.AccessReviewSheetDirect, scope);
        await using var reader = await sheet.ExecuteReaderAsync(cancellationToken);
        var columns = new ReviewRowColumns(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return columns.Read();
        }
    }

    /// <summary>The red flags, with users added and removed counted from <paramref name="since"/>.</summary>
    public async Task<SummaryResponse> SummaryAsync(Scope scope, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        Dictionary<string, int> byStatus;
        int removed, groups, memberships, added, left;
        await using (var command = SnapshotCommand(connection, AccessReviewSql.SummaryCounts, scope))
        {
            command.Add("since", NpgsqlDbType.TimestampTz, since);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            byStatus = JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(reader.GetOrdinal("users_by_status"))) ?? [];
            removed = reader.GetInt32(reader.GetOrdinal("removed_users"));
            groups = reader.GetInt32(reader.GetOrdinal("groups"));
            memberships = reader.GetInt32(reader.GetOrdinal("memberships"));
            added = reader.GetInt32(reader.GetOrdinal("users_added"));
            left = reader.GetInt32(reader.GetOrdinal("users_removed"));
        }

        var privileged = await PrivilegedGroupsAsync(connection, scope, cancellationToken);
        var inactive = await InactiveMembersAsync(connection, scope, cancellationToken);
        var lastSync = scope.Connection.LastSuccessfulSyncAt;
        return new SummaryResponse(byStatus, removed, groups, memberships, privileged, inactive, since, added, left, lastSync,
            lastSync is { } last ? Math.Round((now - last).TotalHours, 2) : null);
    }

    private static async Task<List<PrivilegedGroupResponse>> PrivilegedGroupsAsync(
        NpgsqlConnection connection, Scope scope, CancellationToken cancellationToken)
    {
        var privileged = new List<PrivilegedGroupResponse>();
        await using var command = SnapshotCommand(connection, AccessReviewSql.PrivilegedMembers, scope);
        command.Add("privileged", NpgsqlDbType.Array | NpgsqlDbType.Text, PrivilegedGroups.LowerCaseNames);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var (id, name, json) = (reader.GetOrdinal("scim_id"), reader.GetOrdinal("display_name"), reader.GetOrdinal("members"));
        while (await reader.ReadAsync(cancellationToken))
        {
            var members = JsonSerializer.Deserialize<MemberJson[]>(reader.GetString(json), Web) ?? [];
            privileged.Add(new PrivilegedGroupResponse(reader.GetString(id), reader.GetString(name), members.Select(m => m.UserName).ToArray(),
                members.Select(m => new PrivilegedMemberResponse(m.Id, m.UserName, Columns.Chain(m.ViaIds, m.ViaNames))).ToArray()));
        }

        return privileged;
    }

    private static async Task<InactiveMembersResponse> InactiveMembersAsync(NpgsqlConnection connection, Scope scope, CancellationToken cancellationToken)
    {
        var inactive = new List<InactiveMemberResponse>();
        var count = 0;
        await using var command = SnapshotCommand(connection, AccessReviewSql.InactiveWithMemberships, scope);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var (id, userName, status, groups, total) = (reader.GetOrdinal("scim_id"), reader.GetOrdinal("user_name"), reader.GetOrdinal("status"),
            reader.GetOrdinal("groups"), reader.GetOrdinal("total"));
        while (await reader.ReadAsync(cancellationToken))
        {
            inactive.Add(new InactiveMemberResponse(reader.GetString(id), reader.GetString(userName), reader.GetString(status),
                reader.GetFieldValue<string[]>(groups)));
            count = reader.GetInt32(total);
        }

        return new InactiveMembersResponse(count, inactive);
    }

    /// <summary>A privileged group's member as the SQL's JSON aggregate spells it (AccessReviewSql.PrivilegedMembers).</summary>
    private sealed record MemberJson(string Id, string UserName, string[]? ViaIds, string[]? ViaNames);
}
