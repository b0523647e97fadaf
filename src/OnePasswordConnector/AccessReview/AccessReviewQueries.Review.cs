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
        var (connection, shape) = await OpenShapedAsync(scope, cancellationToken);
        await using var _ = connection;
        await using var command = SnapshotCommand(connection, AccessReviewSql.AccessReview, scope, shape: shape);
        command.Add("after_key", NpgsqlDbType.Text, after?[0]);
        command.Add("after_id", NpgsqlDbType.Text, after?[1]);
        command.Add("after_group", NpgsqlDbType.Text, after?[2]);
        command.Add("limit", NpgsqlDbType.Integer, take + 1);
        return await PageAsync(scope, command, take, Rows.ReviewRow,
            last => QueryParameters.EncodeCursor("access-review", last.UserName, last.UserId, last.GroupId ?? ""), row => row, cancellationToken);
    }

    /// <summary>
    /// The whole review sheet in the order of its pages, read as the database returns it. A snapshot without nesting
    /// takes the direct-only query, and one without sign-ins leaves their lookup out: PostgreSQL may then run it in
    /// parallel.
    /// </summary>
    /// <param name="shape">The query's shape; default: the snapshot's own (tests compare it with <see cref="SnapshotShape.Full"/>).</param>
    public async IAsyncEnumerable<AccessReviewRow> SheetAsync(Scope scope, [EnumeratorCancellation] CancellationToken cancellationToken,
        SnapshotShape? shape = null)
    {
        await using var sheet = await OpenSheetAsync(scope, cancellationToken, shape);
        var columns = new NamedColumns(sheet.Reader);
        while (await sheet.Reader.ReadAsync(cancellationToken))
        {
            yield return Rows.ReviewRow(columns);
        }
    }

    /// <summary>The query of <see cref="SheetAsync"/>, open, for a writer that takes each value straight from its reader (the CSV).</summary>
    public async Task<SheetRows> OpenSheetAsync(Scope scope, CancellationToken cancellationToken, SnapshotShape? shape = null)
    {
        var (connection, snapshot) = await OpenShapedAsync(scope, cancellationToken);
        NpgsqlCommand? command = null;
        try
        {
            var actual = shape ?? snapshot;
            command = SnapshotCommand(connection, actual.Nesting ? AccessReviewSql.AccessReviewSheet : AccessReviewSql.AccessReviewSheetDirect,
                scope, shape: actual);
            return new SheetRows(connection, command, await command.ExecuteReaderAsync(cancellationToken));
        }
        catch
        {
            if (command is not null)
            {
                await command.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A user has repeated MFA failures with this many mfa_failed attempts in 30 days.</summary>
    public const int RepeatedMfaFailures = 3;

    /// <summary>The red flags, with users added and removed counted from <paramref name="since"/>.</summary>
    public async Task<SummaryResponse> SummaryAsync(Scope scope, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken, int dormantDays = 90)
    {
        await using var connection = await OpenAsync(cancellationToken);
        Dictionary<string, int> byStatus;
        int removed, groups, memberships, added, left;
        await using (var command = SnapshotCommand(connection, AccessReviewSql.SummaryCounts, scope))
        {
            command.Add("since", NpgsqlDbType.TimestampTz, since);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var c = new NamedColumns(reader);
            byStatus = JsonSerializer.Deserialize<Dictionary<string, int>>(c.String("users_by_status")) ?? [];
            (removed, groups, memberships) = (c.Value<int>("removed_users"), c.Value<int>("groups"), c.Value<int>("memberships"));
            (added, left) = (c.Value<int>("users_added"), c.Value<int>("users_removed"));
        }

        var privileged = await PrivilegedGroupsAsync(connection, scope, cancellationToken);
        var inactive = await InactiveMembersAsync(connection, scope, cancellationToken);
        var signIns = await SignInSummaryAsync(connection, scope, dormantDays, cancellationToken);
        var lastSync = scope.Connection.LastSuccessfulSyncAt;
        return new SummaryResponse(byStatus, removed, groups, memberships, privileged, inactive, since, added, left, lastSync,
            lastSync is { } last ? Math.Round((now - last).TotalHours, 2) : null, signIns);
    }

    private async Task<SignInSummaryResponse?> SignInSummaryAsync(NpgsqlConnection connection, Scope scope, int dormantDays, CancellationToken cancellationToken)
    {
        await using var command = SnapshotCommand(connection, AccessReviewSql.SignInSummary, scope);
        command.Add("dormant_days", NpgsqlDbType.Integer, dormantDays);
        command.Add("mfa_failures", NpgsqlDbType.Integer, RepeatedMfaFailures);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var c = new NamedColumns(reader);
        return c.NullableInstant("known_since") is { } known
            ? new SignInSummaryResponse(known, dormantDays, c.Value<int>("dormant_users"), RepeatedMfaFailures, c.Value<int>("repeated_mfa_failure_users"))
            : null;
    }

    private async Task<List<PrivilegedGroupResponse>> PrivilegedGroupsAsync(
        NpgsqlConnection connection, Scope scope, CancellationToken cancellationToken)
    {
        var privileged = new List<PrivilegedGroupResponse>();
        await using var command = SnapshotCommand(connection, AccessReviewSql.PrivilegedMembers, scope);
        command.Add("privileged", NpgsqlDbType.Array | NpgsqlDbType.Text, PrivilegedGroups.LowerCaseNames);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var c = new NamedColumns(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            var members = JsonSerializer.Deserialize<MemberJson[]>(c.String("members"), Web) ?? [];
            privileged.Add(new PrivilegedGroupResponse(c.String("scim_id"), c.String("display_name"), members.Select(m => m.UserName).ToArray(),
                members.Select(m => new PrivilegedMemberResponse(m.Id, m.UserName, Chains.Of(m.ViaIds, m.ViaNames))).ToArray()));
        }

        return privileged;
    }

    private async Task<InactiveMembersResponse> InactiveMembersAsync(NpgsqlConnection connection, Scope scope, CancellationToken cancellationToken)
    {
        var inactive = new List<InactiveMemberResponse>();
        var count = 0;
        await using var command = SnapshotCommand(connection, AccessReviewSql.InactiveWithMemberships, scope);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var c = new NamedColumns(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            inactive.Add(new InactiveMemberResponse(c.String("scim_id"), c.String("user_name"), c.String("status"), c.Value<string[]>("groups")));
            count = c.Value<int>("total");
        }

        return new InactiveMembersResponse(count, inactive);
    }

    /// <summary>A privileged group's member as the SQL's JSON aggregate spells it (AccessReviewSql.PrivilegedMembers).</summary>
    private sealed record MemberJson(string Id, string UserName, string[]? ViaIds, string[]? ViaNames);
}

/// <summary>The sheet's query, running: its reader, with the command and connection it holds, disposed together.</summary>
internal sealed class SheetRows(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader) : IAsyncDisposable
{
    public NpgsqlDataReader Reader => reader;

    public async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync();
        await command.DisposeAsync();
        await connection.DisposeAsync();
    }
}
