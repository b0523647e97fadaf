using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.AccessReview;

/// <summary>The connection an access-review request reads, and the sync instant it reads as of (null: now).</summary>
/// <param name="ValidAt">That sync's start: every row it wrote carries it, so validity is tested there.</param>
internal sealed record Scope(Connection Connection, DateTimeOffset? At, DateTimeOffset? ValidAt = null);

/// <summary>The users' filters of <c>GET users</c>, already checked and turned into SQL values.</summary>
internal sealed record UserFilter(string? Status, string? GroupId, string? Pattern, bool IncludeRemoved, string Sort, int? DormantDays = null);

/// <summary>
/// The read side's queries (SQL in <see cref="AccessReviewSql"/>): each runs over the snapshot a <see cref="Scope"/>
/// names and returns the API's DTOs, read by column name. Pages read one row more than they show: it only says that
/// another page follows, and the last shown row becomes the next cursor.
/// </summary>
internal sealed partial class AccessReviewQueries(NpgsqlDataSource data, TimeProvider time, IOptions<RetentionOptions> retention)
{
    private const int HistoryLimit = 1000;

    /// <summary>The oldest instant an <c>asOf</c> may name: history before it is pruned.</summary>
    public DateTimeOffset HistoryStart => time.GetUtcNow().AddDays(-retention.Value.HistoryDays);

    /// <summary>The scope for now, or for the last succeeded sync that had finished by <paramref name="asOf"/> (null: none had).</summary>
    public async Task<Scope?> ScopeAsync(Connection connection, DateTimeOffset? asOf, CancellationToken cancellationToken)
    {
        if (asOf is not { } instant)
        {
            return new Scope(connection, null);
        }

        await using var command = data.CreateCommand(AccessReviewSql.SnapshotInstant);
        command.Add("c", NpgsqlDbType.Uuid, connection.Id);
        command.Add("as_of", NpgsqlDbType.TimestampTz, instant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Scope(connection, reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("finished_at")),
                reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("started_at")))
            : null;
    }

    /// <param name="shape">The query's shape; default: the snapshot's own (tests compare it with <see cref="SnapshotShape.Full"/>).</param>
    public async Task<PageResponse<UserResponse>> UsersAsync(
        Scope scope, UserFilter filter, string[]? after, int take, CancellationToken cancellationToken, SnapshotShape? shape = null)
    {
        var (connection, snapshot) = await OpenShapedAsync(scope, cancellationToken, search: filter.Pattern is not null);
        await using var _ = connection;
        var sql = filter switch
        {
            { Pattern: null } => AccessReviewSql.Users,
            { GroupId: null, DormantDays: null } => AccessReviewSql.UsersMatchingPage,
            _ => AccessReviewSql.UsersMatching,
        };
        await using var command = SnapshotCommand(connection, sql, scope, filter.IncludeRemoved, shape ?? snapshot);
        command.Add("sort_by_name", NpgsqlDbType.Boolean, filter.Sort == "name");
        command.Add("status", NpgsqlDbType.Text, filter.Status);
        command.Add("group", NpgsqlDbType.Text, filter.GroupId);
        command.Add("q", NpgsqlDbType.Text, filter.Pattern);
        command.Add("dormant_days", NpgsqlDbType.Integer, filter.DormantDays);
        AddPage(command, after, take);
        return await PageAsync(scope, command, take, c => (User: Rows.User(c), Key: c.String("sort_key")),
            last => QueryParameters.EncodeCursor("users:" + filter.Sort, last.Key, last.User.Id), row => row.User, cancellationToken);
    }

    /// <summary>One user, removed ones too, with their change history newest first; null when none was synced.</summary>
    public async Task<UserDetailResponse?> UserAsync(Scope scope, string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        UserResponse? user = null;
        await using (var command = SnapshotCommand(connection, AccessReviewSql.User, scope, includeRemoved: true))
        {
            command.Add("user", NpgsqlDbType.Text, userId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                user = Rows.User(new NamedColumns(reader));
            }
        }

        return user is null
            ? null
            : new UserDetailResponse(user, await ChangesAsync(connection, scope.Connection.Id, new ChangeFilter(null, null, null, userId), null,
                HistoryLimit, cancellationToken));
    }

    public async Task<PageResponse<GroupResponse>> GroupsAsync(
        Scope scope, string? pattern, string[]? after, int take, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = SnapshotCommand(connection, AccessReviewSql.Groups, scope);
        command.Add("q", NpgsqlDbType.Text, pattern);
        AddPage(command, after, take);
        return await PageAsync(scope, command, take, Rows.Group,
            last => QueryParameters.EncodeCursor("groups", last.DisplayName, last.Id), row => row, cancellationToken);
    }

    /// <summary>A page of the group's users; null when the snapshot has no such group.</summary>
    public async Task<PageResponse<MemberResponse>?> MembersAsync(
        Scope scope, string groupId, string[]? after, int take, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var exists = SnapshotCommand(connection, AccessReviewSql.Group, scope))
        {
            exists.Add("group", NpgsqlDbType.Text, groupId);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return null;
            }
        }

        await using var command = SnapshotCommand(connection, AccessReviewSql.Members, scope);
        command.Add("group", NpgsqlDbType.Text, groupId);
        AddPage(command, after, take);
        return await PageAsync(scope, command, take, Rows.Member,
            last => QueryParameters.EncodeCursor("members", last.UserName, last.Id), row => row, cancellationToken);
    }

    public async Task<PageResponse<ChangeResponse>> ChangesAsync(
        Guid connectionId, ChangeFilter filter, (DateTimeOffset At, long Id)? after, int take, CancellationToken cancellationToken)
    {
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        var rows = await ChangesAsync(connection, connectionId, filter, after, take + 1, cancellationToken);
        string? next = null;
        if (rows.Count > take)
        {
            rows.RemoveAt(take);
            next = QueryParameters.EncodeCursor("changes", rows[^1].OccurredAt.ToString("O", CultureInfo.InvariantCulture),
                rows[^1].Id.ToString(CultureInfo.InvariantCulture));
        }

        return new PageResponse<ChangeResponse>(rows, next, null);
    }

    private static async Task<List<ChangeResponse>> ChangesAsync(NpgsqlConnection connection, Guid connectionId, ChangeFilter filter,
        (DateTimeOffset At, long Id)? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(AccessReviewSql.Changes, connection);
        command.Add("c", NpgsqlDbType.Uuid, connectionId);
        command.Add("since", NpgsqlDbType.TimestampTz, filter.Since);
        command.Add("until", NpgsqlDbType.TimestampTz, filter.Until);
        command.Add("kind", NpgsqlDbType.Text, filter.Kind);
        command.Add("subject", NpgsqlDbType.Text, filter.SubjectId);
        command.Add("after_at", NpgsqlDbType.TimestampTz, after?.At);
        command.Add("after_event", NpgsqlDbType.Bigint, after?.Id);
        command.Add("limit", NpgsqlDbType.Integer, limit);
        var rows = new List<ChangeResponse>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var columns = new NamedColumns(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Rows.Change(columns));
        }

        return rows;
    }

    /// <summary>Reads up to <paramref name="take"/> + 1 rows: the extra row only says that another page follows.</summary>
    private static async Task<PageResponse<T>> PageAsync<TRow, T>(Scope scope, NpgsqlCommand command, int take,
        Func<NamedColumns, TRow> read, Func<TRow, string> cursor, Func<TRow, T> item, CancellationToken cancellationToken)
    {
        var rows = new List<TRow>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            var columns = new NamedColumns(reader);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(columns));
            }
        }

        string? next = null;
        if (rows.Count > take)
        {
            rows.RemoveAt(take);
            next = cursor(rows[^1]);
        }

        return new PageResponse<T>(rows.ConvertAll(r => item(r)), next, scope.At);
    }

    private static void AddPage(NpgsqlCommand command, string[]? after, int take)
    {
        command.Add("after_key", NpgsqlDbType.Text, after?[0]);
        command.Add("after_id", NpgsqlDbType.Text, after?[1]);
        command.Add("limit", NpgsqlDbType.Integer, take + 1);
    }

    /// <summary>A connection for the read side's queries, with JIT off (see AccessReviewSql.JitOff).</summary>
    internal async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await data.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(AccessReviewSql.NoJit, connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection as <see cref="OpenAsync"/> gives it, and the shape of the scope's snapshot, in one round trip.</summary>
    private async Task<(NpgsqlConnection Connection, SnapshotShape Shape)> OpenShapedAsync(Scope scope, CancellationToken cancellationToken,
        bool search = false)
    {
        var connection = await data.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = SnapshotCommand(connection, search ? AccessReviewSql.SearchShape : AccessReviewSql.Shape, scope);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var columns = new NamedColumns(reader);
            return (connection, new SnapshotShape(columns.Value<bool>("nesting"), columns.Value<bool>("sign_ins")));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private NpgsqlCommand SnapshotCommand(NpgsqlConnection connection, string sql, Scope scope, bool includeRemoved = false,
        SnapshotShape? shape = null)
    {
#pragma warning disable CA2100 // The SQL is composed only of constants from AccessReviewSql; every value is a parameter.
        var command = new NpgsqlCommand(AccessReviewSql.Snapshot(scope.At is not null) + AccessReviewSql.For(sql, shape ?? SnapshotShape.Full), connection);
#pragma warning restore CA2100
        command.Add("c", NpgsqlDbType.Uuid, scope.Connection.Id);
        command.Add("t", NpgsqlDbType.TimestampTz, scope.At);
        command.Add("v", NpgsqlDbType.TimestampTz, scope.ValidAt);
        command.Add("synced", NpgsqlDbType.TimestampTz, scope.Connection.LastSuccessfulSyncAt);
        command.Add("removed", NpgsqlDbType.Boolean, includeRemoved);
        command.Add("now", NpgsqlDbType.TimestampTz, time.GetUtcNow());
        return command;
    }
}

/// <summary>The change feed's filters; <see cref="SubjectId"/> narrows it to one user's history.</summary>
internal sealed record ChangeFilter(DateTimeOffset? Since, DateTimeOffset? Until, string? Kind, string? SubjectId = null);

internal static class NpgsqlCommandParameters
{
    public static void Add(this NpgsqlCommand command, string name, NpgsqlDbType type, object? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
}
