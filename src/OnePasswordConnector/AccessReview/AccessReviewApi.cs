using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// The read side over synced data: who has access now or at a past sync, what changed, the review sheet and its red flags.
/// Every list is keyset-paginated in a total order (sort key, then id), so a page boundary never skips or repeats a row,
/// even while a sync changes the directory between two page requests.
/// </summary>
internal static class AccessReviewApi
{
    internal static readonly string[] ChangeKinds =
    [
        "user_added", "user_removed", "user_reactivated", "user_deactivated", "user_renamed", "user_email_changed",
        "user_state_changed", "user_external_id_changed", "group_added", "group_removed", "group_renamed", "group_external_id_changed",
        "membership_added", "membership_removed",
    ];

    private static readonly string[] UserSorts = ["userName", "name"];
    private static readonly string[] Formats = ["json", "csv"];
    private const int HistoryLimit = 1000;

    public static RouteGroupBuilder MapAccessReviewApi(this RouteGroupBuilder connection)
    {
        var group = connection.MapGroup("").WithTags("Access review");
        group.MapGet("/users", ListUsers).WithName("ListUsers").WithSummary("List users with their groups, now or as of a past sync")
            .WithDescription("Filters combine with AND. Keyset pagination: pass nextCursor back as cursor, with the same sort. " +
                             "With asOf the answer is the directory at the last complete sync at or before asOf (404 if there was none).");
        group.MapGet("/users/{userId}", GetUser).WithName("GetUser").WithSummary("One user with their groups and change history")
            .WithDescription("Removed users are found too (removedAt set). History is newest first, at most 1000 events.");
        group.MapGet("/groups", ListGroups).WithName("ListGroups").WithSummary("List groups with member counts, now or as of a past sync");
        group.MapGet("/groups/{groupId}/members", ListMembers).WithName("ListGroupMembers")
            .WithSummary("List the users in a group, now or as of a past sync");
        group.MapGet("/changes", ListChanges).WithName("ListChanges").WithSummary("The change feed, newest first")
            .WithDescription("Joiners, leavers, deactivations, renames, email and state changes, group and membership changes. since is inclusive, until exclusive.");
        group.MapGet("/access-review", GetAccessReview).WithName("GetAccessReview")
            .WithSummary("The review sheet: one row per user and group, plus users in no group; JSON or CSV")
            .WithDescription("CSV (RFC 4180, UTF-8, one header row) with Accept: text/csv or format=csv; it is streamed whole, without paging. " +
                             "CSV cells that begin with =, +, -, @, a tab or a carriage return get a leading ' unless csvFormulaEscape=false. " +
                             "JSON is keyset-paginated. asOf reproduces the sheet as of a past sync.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        group.MapGet("/summary", GetSummary).WithName("GetAccessSummary").WithSummary("The red flags: status counts, privileged members, inactive members, joiners and leavers");
        return group;
    }

    /// <summary>List users.</summary>
    /// <param name="status" example="inactive">active, inactive, or a 1Password account state (e.g. suspended).</param>
    /// <param name="groupId" example="g7Hk2Q">Only members of this group (its SCIM id).</param>
    /// <param name="q" example="ada">Case-insensitive text contained in userName, displayName, formatted name or primary email.</param>
    /// <param name="removed" example="false">Also list people no longer in 1Password (ignored with asOf).</param>
    /// <param name="sort" example="userName">userName (default) or name (display name).</param>
    /// <param name="asOf" example="2026-06-30T23:59:59Z">Answer as of the last complete sync at or before this ISO 8601 instant.</param>
    /// <param name="cursor" example="WyJ1c2Vyczp1c2VyTmFtZSIsImFkYUBleGFtcGxlLm9yZyIsIlVBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBIl0">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<UserResponse>>, ValidationProblem, ProblemHttpResult>> ListUsers(
        Guid connectionId, string? status, string? groupId, string? q, bool? removed, string? sort, string? asOf,
        string? cursor, int? limit, RouteConnection route, NpgsqlDataSource data, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var statusFilter = query.Status(status);
        var pattern = query.Contains(q);
        sort ??= "userName";
        query.OneOf("sort", sort, UserSorts);
        var at = query.Instant("asOf", asOf);
        var after = query.Cursor(cursor, "users:" + sort, 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var (scope, problem) = await ScopeAsync(route, data, at, cancellationToken);
        if (scope is null)
        {
            return problem!;
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var command = SnapshotCommand(connection, AccessReviewSql.Users, scope, includeRemoved: removed == true);
        command.Add("sort_by_name", NpgsqlDbType.Boolean, sort == "name");
        command.Add("status", NpgsqlDbType.Text, statusFilter);
        command.Add("group", NpgsqlDbType.Text, string.IsNullOrEmpty(groupId) ? null : groupId);
        command.Add("q", NpgsqlDbType.Text, pattern);
        command.Add("after_key", NpgsqlDbType.Text, after?[0]);
        command.Add("after_id", NpgsqlDbType.Text, after?[1]);
        command.Add("limit", NpgsqlDbType.Integer, take + 1);
        var (rows, next) = await ReadPageAsync(command, take, reader => (User: ReadUser(reader), Key: reader.GetString(15)),
            last => QueryParameters.EncodeCursor("users:" + sort, last.Key, last.User.Id), cancellationToken);

        return TypedResults.Ok(new PageResponse<UserResponse>(rows.ConvertAll(r => r.User), next, scope.At));
    }

    /// <summary>One user.</summary>
    /// <param name="userId" example="UAAAAAAAAAAAAAAAAAAAAAAAAA">The user's SCIM id.</param>
    internal static async Task<Results<Ok<UserDetailResponse>, ProblemHttpResult>> GetUser(
        Guid connectionId, string userId, RouteConnection route, NpgsqlDataSource data, CancellationToken cancellationToken)
    {
        var (scope, problem) = await ScopeAsync(route, data, null, cancellationToken);
        if (scope is null)
        {
            return problem!;
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        UserResponse? user = null;
        await using (var command = SnapshotCommand(connection, AccessReviewSql.User, scope, includeRemoved: true))
        {
            command.Add("user", NpgsqlDbType.Text, userId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                user = ReadUser(reader);
            }
        }

        if (user is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "No user with this id has been synced for this connection.");
        }

        var history = await ReadChangesAsync(connection, connectionId, null, null, null, userId, null, HistoryLimit, cancellationToken);
        return TypedResults.Ok(new UserDetailResponse(user, history));
    }

    /// <summary>List groups.</summary>
    /// <param name="q" example="admin">Case-insensitive text contained in the group's name.</param>
    /// <param name="asOf" example="2026-06-30T23:59:59Z">Answer as of the last complete sync at or before this ISO 8601 instant.</param>
    /// <param name="cursor" example="WyJncm91cHMiLCJFbmdpbmVlcmluZyIsImdiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiIl0">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<GroupResponse>>, ValidationProblem, ProblemHttpResult>> ListGroups(
        Guid connectionId, string? q, string? asOf, string? cursor, int? limit, RouteConnection route,
        NpgsqlDataSource data, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var pattern = query.Contains(q);
        var at = query.Instant("asOf", asOf);
        var after = query.Cursor(cursor, "groups", 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var (scope, problem) = await ScopeAsync(route, data, at, cancellationToken);
        if (scope is null)
        {
            return problem!;
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var command = SnapshotCommand(connection, AccessReviewSql.Groups, scope);
        command.Add("q", NpgsqlDbType.Text, pattern);
        command.Add("after_key", NpgsqlDbType.Text, after?[0]);
        command.Add("after_id", NpgsqlDbType.Text, after?[1]);
        command.Add("limit", NpgsqlDbType.Integer, take + 1);
        var (rows, next) = await ReadPageAsync(command, take,
            reader => new GroupResponse(reader.GetString(0), reader.GetString(1), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(2)),
            last => QueryParameters.EncodeCursor("groups", last.DisplayName, last.Id), cancellationToken);

        return TypedResults.Ok(new PageResponse<GroupResponse>(rows, next, scope.At));
    }

    /// <summary>List a group's users.</summary>
    /// <param name="groupId" example="g7Hk2Q">The group's SCIM id.</param>
    /// <param name="asOf" example="2026-06-30T23:59:59Z">Answer as of the last complete sync at or before this ISO 8601 instant.</param>
    /// <param name="cursor" example="WyJtZW1iZXJzIiwiYWRhQGV4YW1wbGUub3JnIiwiVUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEiXQ">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<MemberResponse>>, ValidationProblem, ProblemHttpResult>> ListMembers(
        Guid connectionId, string groupId, string? asOf, string? cursor, int? limit, RouteConnection route,
        NpgsqlDataSource data, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var at = query.Instant("asOf", asOf);
        var after = query.Cursor(cursor, "members", 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var (scope, problem) = await ScopeAsync(route, data, at, cancellationToken);
        if (scope is null)
        {
            return problem!;
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using (var exists = SnapshotCommand(connection, AccessReviewSql.Group, scope))
        {
            exists.Add("group", NpgsqlDbType.Text, groupId);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                    detail: at is null ? "No such group in this connection's directory." : "No such group in the directory as of that sync.");
            }
        }

        await using var command = SnapshotCommand(connection, AccessReviewSql.Members, scope);
        command.Add("group", NpgsqlDbType.Text, groupId);
        command.Add("after_key", NpgsqlDbType.Text, after?[0]);
        command.Add("after_id", NpgsqlDbType.Text, after?[1]);
        command.Add("limit", NpgsqlDbType.Integer, take + 1);
        var (rows, next) = await ReadPageAsync(command, take,
            reader => new MemberResponse(reader.GetString(0), reader.GetString(1), NullableString(reader, 2), NullableString(reader, 3),
                reader.GetBoolean(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), Via(reader, 7)),
            last => QueryParameters.EncodeCursor("members", last.UserName, last.Id), cancellationToken);

        return TypedResults.Ok(new PageResponse<MemberResponse>(rows, next, scope.At));
    }

    /// <summary>The change feed.</summary>
    /// <param name="since" example="2026-06-01T00:00:00Z">Changes at or after this ISO 8601 instant.</param>
    /// <param name="until" example="2026-07-01T00:00:00Z">Changes before this ISO 8601 instant.</param>
    /// <param name="kind" example="user_deactivated">One change kind: user_added, user_removed, user_reactivated, user_deactivated,
    /// user_renamed, user_email_changed, user_state_changed, user_external_id_changed, group_added, group_removed, group_renamed,
    /// group_external_id_changed, membership_added, membership_removed.</param>
    /// <param name="cursor" example="WyJjaGFuZ2VzIiwiMjAyNi0wNi0zMFQxMjowMDowMC4wMDAwMDAwKzAwOjAwIiwiMTA0MiJd">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<ChangeResponse>>, ValidationProblem, ProblemHttpResult>> ListChanges(
        Guid connectionId, string? since, string? until, string? kind, string? cursor, int? limit,
        RouteConnection route, NpgsqlDataSource data, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var from = query.Instant("since", since);
        var to = query.Instant("until", until);
        kind = string.IsNullOrEmpty(kind) ? null : kind;
        query.OneOf("kind", kind, ChangeKinds);
        var after = query.Cursor(cursor, "changes", 2);
        (DateTimeOffset At, long Id)? afterEvent = null;
        if (after is not null)
        {
            if (DateTimeOffset.TryParse(after[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var afterAt)
                && long.TryParse(after[1], CultureInfo.InvariantCulture, out var afterId))
            {
                afterEvent = (afterAt, afterId);
            }
            else
            {
                query.Errors["cursor"] = ["The cursor is not one this list gave out."];
            }
        }

        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        var rows = await ReadChangesAsync(connection, connectionId, from, to, kind, null, afterEvent, take + 1, cancellationToken);
        string? next = null;
        if (rows.Count > take)
        {
            rows.RemoveAt(take);
            next = QueryParameters.EncodeCursor("changes", rows[^1].OccurredAt.ToString("O", CultureInfo.InvariantCulture),
                rows[^1].Id.ToString(CultureInfo.InvariantCulture));
        }

        return TypedResults.Ok(new PageResponse<ChangeResponse>(rows, next, null));
    }

    /// <summary>The review sheet.</summary>
    /// <param name="format" example="csv">json (default) or csv; Accept: text/csv also selects CSV.</param>
    /// <param name="asOf" example="2026-06-30T23:59:59Z">The sheet as of the last complete sync at or before this ISO 8601 instant.</param>
    /// <param name="cursor" example="WyJhY2Nlc3MtcmV2aWV3IiwiYWRhQGV4YW1wbGUub3JnIiwiVUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEiLCJnYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYiJd">JSON only: nextCursor of the previous page.</param>
    /// <param name="limit" example="100">JSON only: page size, 1 to 1000 (default 100).</param>
    /// <param name="csvFormulaEscape" example="true">CSV only: true (default) prefixes ' to every cell that begins with =, +, -, @,
    /// a tab or a carriage return, so a spreadsheet shows it as text instead of running it as a formula (OWASP CSV injection);
    /// false gives the cells exactly as stored. JSON always carries exact values.</param>
    internal static async Task<Results<Ok<PageResponse<AccessReviewRow>>, AccessReviewCsv, ValidationProblem, ProblemHttpResult>> GetAccessReview(
        Guid connectionId, string? format, string? asOf, string? cursor, int? limit, bool? csvFormulaEscape, HttpRequest request,
        RouteConnection route, NpgsqlDataSource data, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        query.OneOf("format", format, Formats);
        var csv = format == "csv" || (format is null && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)));
        var at = query.Instant("asOf", asOf);
        var after = csv ? null : query.Cursor(cursor, "access-review", 3);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var (scope, problem) = await ScopeAsync(route, data, at, cancellationToken);
        if (scope is null)
        {
            return problem!;
        }

        if (csv)
        {
            var sheet = await HasNestingAsync(data, scope, cancellationToken) ? AccessReviewSql.AccessReviewSheet : AccessReviewSql.AccessReviewSheetDirect;
            return new AccessReviewCsv(connection => SnapshotCommand(connection, sheet, scope), scope.At ?? scope.Connection.LastSuccessfulSyncAt,
                csvFormulaEscape ?? true);
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var command = AccessReviewCommand(connection, scope, after, take + 1);
        var (rows, next) = await ReadPageAsync(command, take, ReadAccessReviewRow,
            last => QueryParameters.EncodeCursor("access-review", last.UserName, last.UserId, last.GroupId ?? ""), cancellationToken);

        return TypedResults.Ok(new PageResponse<AccessReviewRow>(rows, next, scope.At));
    }

    /// <summary>The red flags.</summary>
    /// <param name="since" example="2026-06-01T00:00:00Z">Count users added and removed from this ISO 8601 instant (default: 30 days ago).</param>
    internal static async Task<Results<Ok<SummaryResponse>, ValidationProblem, ProblemHttpResult>> GetSummary(
        Guid connectionId, string? since, RouteConnection route, NpgsqlDataSource data, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var now = time.GetUtcNow();
        var from = query.Instant("since", since) ?? now.AddDays(-30);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var (scope, problem) = await ScopeAsync(route, data, null, cancellationToken);
        if (scope is null)
        {
            return problem!;
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        Dictionary<string, int> byStatus;
        int removed, groups, memberships, added, left;
        await using (var command = SnapshotCommand(connection, AccessReviewSql.SummaryCounts, scope))
        {
            command.Add("since", NpgsqlDbType.TimestampTz, from);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            byStatus = JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(0)) ?? [];
            (removed, groups, memberships, added, left) = (reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5));
        }

        var privileged = new List<PrivilegedGroupResponse>();
        await using (var command = SnapshotCommand(connection, AccessReviewSql.PrivilegedMembers, scope))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var members = JsonSerializer.Deserialize<MemberJson[]>(reader.GetString(2), Web) ?? [];
                privileged.Add(new PrivilegedGroupResponse(reader.GetString(0), reader.GetString(1), members.Select(m => m.UserName).ToArray(),
                    members.Select(m => new PrivilegedMemberResponse(m.Id, m.UserName, Via(m.ViaIds, m.ViaNames))).ToArray()));
            }
        }

        var inactive = new List<InactiveMemberResponse>();
        var inactiveCount = 0;
        await using (var command = SnapshotCommand(connection, AccessReviewSql.InactiveWithMemberships, scope))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                inactive.Add(new InactiveMemberResponse(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3)));
                inactiveCount = reader.GetInt32(4);
            }
        }

        var lastSync = scope.Connection.LastSuccessfulSyncAt;
        return TypedResults.Ok(new SummaryResponse(byStatus, removed, groups, memberships, privileged,
            new InactiveMembersResponse(inactiveCount, inactive), from, added, left, lastSync,
            lastSync is { } last ? Math.Round((now - last).TotalHours, 2) : null));
    }

    /// <summary>The connection an access-review request reads, and the sync instant it reads as of (null: now).</summary>
    /// <summary>Reads up to <paramref name="take"/> + 1 rows: the extra row only says that another page follows.</summary>
    private static async Task<(List<T> Rows, string? Next)> ReadPageAsync<T>(
        NpgsqlCommand command, int take, Func<NpgsqlDataReader, T> read, Func<T, string> cursor, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(reader));
            }
        }

        if (rows.Count <= take)
        {
            return (rows, null);
        }

        rows.RemoveAt(take);
        return (rows, cursor(rows[^1]));
    }

    internal sealed record Scope(Connection Connection, DateTimeOffset? At, DateTimeOffset? ValidAt = null);

    private static async Task<(Scope? Scope, ProblemHttpResult? Problem)> ScopeAsync(
        RouteConnection route, NpgsqlDataSource data, DateTimeOffset? asOf, CancellationToken cancellationToken)
    {
        var connection = route.Value;

        if (asOf is not { } instant)
        {
            return (new Scope(connection, null), null);
        }

        await using var command = data.CreateCommand(AccessReviewSql.SnapshotInstant);
        command.Add("c", NpgsqlDbType.Uuid, connection.Id);
        command.Add("as_of", NpgsqlDbType.TimestampTz, instant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No sync at that time",
                detail: $"No sync of this connection had completed by {instant:O}, so there is no directory state to answer from. " +
                        "Pick a later asOf, or see GET .../syncs for when syncs succeeded."));
        }

        return (new Scope(connection, reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1)), null);
    }

    private static NpgsqlCommand SnapshotCommand(NpgsqlConnection connection, string sql, Scope scope, bool includeRemoved = false)
    {
#pragma warning disable CA2100 // The SQL is composed only of constants from AccessReviewSql; every value is a parameter.
        var command = new NpgsqlCommand(AccessReviewSql.Snapshot(scope.At is not null) + sql, connection);
#pragma warning restore CA2100
        command.Add("c", NpgsqlDbType.Uuid, scope.Connection.Id);
        command.Add("t", NpgsqlDbType.TimestampTz, scope.At);
        command.Add("v", NpgsqlDbType.TimestampTz, scope.ValidAt);
        command.Add("synced", NpgsqlDbType.TimestampTz, scope.Connection.LastSuccessfulSyncAt);
        command.Add("removed", NpgsqlDbType.Boolean, includeRemoved);
        return command;
    }

    private static async Task<bool> HasNestingAsync(NpgsqlDataSource data, Scope scope, CancellationToken cancellationToken)
    {
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var command = SnapshotCommand(connection, AccessReviewSql.HasNesting, scope);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static NpgsqlCommand AccessReviewCommand(NpgsqlConnection connection, Scope scope, string[]? after, int limit)
    {
        var command = SnapshotCommand(connection, AccessReviewSql.AccessReview, scope);
        command.Add("after_key", NpgsqlDbType.Text, after?[0]);
        command.Add("after_id", NpgsqlDbType.Text, after?[1]);
        command.Add("after_group", NpgsqlDbType.Text, after?[2]);
        command.Add("limit", NpgsqlDbType.Integer, limit);
        return command;
    }

    internal static AccessReviewRow ReadAccessReviewRow(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), NullableString(r, 2), NullableString(r, 3), r.GetFieldValue<string[]>(4), r.GetString(5),
        r.GetBoolean(6), r.GetFieldValue<DateTimeOffset>(7), NullableString(r, 8), NullableString(r, 9), NullableInstant(r, 10), Via(r, 11));

    private static async Task<List<ChangeResponse>> ReadChangesAsync(
        NpgsqlConnection connection, Guid connectionId, DateTimeOffset? since, DateTimeOffset? until, string? kind, string? subject,
        (DateTimeOffset At, long Id)? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(AccessReviewSql.Changes, connection);
        command.Add("c", NpgsqlDbType.Uuid, connectionId);
        command.Add("since", NpgsqlDbType.TimestampTz, since);
        command.Add("until", NpgsqlDbType.TimestampTz, until);
        command.Add("kind", NpgsqlDbType.Text, kind);
        command.Add("subject", NpgsqlDbType.Text, subject);
        command.Add("after_at", NpgsqlDbType.TimestampTz, after?.At);
        command.Add("after_event", NpgsqlDbType.Bigint, after?.Id);
        command.Add("limit", NpgsqlDbType.Integer, limit);
        var rows = new List<ChangeResponse>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ChangeResponse(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetGuid(2), reader.GetString(3),
                reader.GetString(4), NullableString(reader, 5), NullableString(reader, 6), NullableString(reader, 7), Json(reader, 8), Json(reader, 9)));
        }

        return rows;
    }

    private static UserResponse ReadUser(NpgsqlDataReader r)
    {
        var ids = r.GetFieldValue<string[]>(12);
        var names = r.GetFieldValue<string[]>(13);
        var chains = r.GetFieldValue<string?[]>(14);
        return new UserResponse(r.GetString(0), r.GetString(1), NullableString(r, 2), NullableString(r, 3), NullableString(r, 4),
            NullableString(r, 5), r.GetFieldValue<string[]>(6), r.GetBoolean(7), r.GetString(8), r.GetFieldValue<DateTimeOffset>(9),
            r.GetFieldValue<DateTimeOffset>(10), NullableInstant(r, 11), ids.Select((id, i) => new UserGroup(id, names[i], Via(chains[i]))).ToArray());
    }

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>A privileged group's member as the SQL's JSON aggregate spells it (AccessReviewSql.PrivilegedMembers).</summary>
    private sealed record MemberJson(string Id, string UserName, string[]? ViaIds, string[]? ViaNames);

    /// <summary>The chain of nested groups from the two parallel arrays the SQL returns (ids, then names) at column i.</summary>
    private static GroupRef[] Via(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? [] : Via(r.GetFieldValue<string[]>(i), r.GetFieldValue<string[]>(i + 1));

    /// <summary>A chain as AccessReviewSql.UserGroups spells it, the JSON pair [viaIds, viaNames]; NULL for a direct membership.</summary>
    private static GroupRef[] Via(string? chain) =>
        chain is null ? [] : JsonSerializer.Deserialize<string[][]>(chain) is [var ids, var names] ? Via(ids, names) : [];

    /// <summary>A direct member has no chain: the SQL gives NULL, the API an empty list.</summary>
    private static GroupRef[] Via(string[]? ids, string[]? names) =>
        ids is null || names is null ? [] : ids.Select((id, i) => new GroupRef(id, names[i])).ToArray();

    private static string? NullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? NullableInstant(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private static JsonElement? Json(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : JsonDocument.Parse(r.GetString(i)).RootElement.Clone();

    private static void Add(this NpgsqlCommand command, string name, NpgsqlDbType type, object? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
}
