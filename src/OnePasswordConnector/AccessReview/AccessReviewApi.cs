using Microsoft.AspNetCore.Http.HttpResults;
using OnePasswordConnector.Connections;

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
    /// <param name="dormantDays" example="90">Only active users with no successful sign-in in this many days (1 to 3650), where the connection's
    /// sign-ins are known that far back; users whose sign-ins are not known are never listed.</param>
    /// <param name="cursor" example="WyJ1c2Vyczp1c2VyTmFtZSIsImFkYUBleGFtcGxlLm9yZyIsIlVBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBIl0">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<UserResponse>>, ValidationProblem, ProblemHttpResult>> ListUsers(
        Guid connectionId, string? status, string? groupId, string? q, bool? removed, string? sort, string? asOf, int? dormantDays,
        string? cursor, int? limit, RouteConnection route, AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        query.DormantDays(dormantDays);
        var statusFilter = query.Status(status);
        var pattern = query.Contains(q);
        sort ??= "userName";
        query.OneOf("sort", sort, UserSorts);
        var at = query.Instant("asOf", asOf);
        query.NotBefore("asOf", at, queries.HistoryStart);
        var after = query.Cursor(cursor, "users:" + sort, 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        if (await queries.ScopeAsync(route.Value, at, cancellationToken) is not { } scope)
        {
            return NoSyncBy(at);
        }

        var filter = new UserFilter(statusFilter, string.IsNullOrEmpty(groupId) ? null : groupId, pattern, removed == true, sort, dormantDays);
        return TypedResults.Ok(await queries.UsersAsync(scope, filter, after, take, cancellationToken));
    }

    /// <summary>One user.</summary>
    /// <param name="userId" example="UAAAAAAAAAAAAAAAAAAAAAAAAA">The user's SCIM id.</param>
    internal static async Task<Results<Ok<UserDetailResponse>, ProblemHttpResult>> GetUser(
        Guid connectionId, string userId, RouteConnection route, AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var user = await queries.UserAsync(new Scope(route.Value, null), userId, cancellationToken);
        return user is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "No user with this id has been synced for this connection.")
            : TypedResults.Ok(user);
    }

    /// <summary>List groups.</summary>
    /// <param name="q" example="admin">Case-insensitive text contained in the group's name.</param>
    /// <param name="asOf" example="2026-06-30T23:59:59Z">Answer as of the last complete sync at or before this ISO 8601 instant.</param>
    /// <param name="cursor" example="WyJncm91cHMiLCJFbmdpbmVlcmluZyIsImdiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiIl0">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<GroupResponse>>, ValidationProblem, ProblemHttpResult>> ListGroups(
        Guid connectionId, string? q, string? asOf, string? cursor, int? limit, RouteConnection route,
        AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var pattern = query.Contains(q);
        var at = query.Instant("asOf", asOf);
        query.NotBefore("asOf", at, queries.HistoryStart);
        var after = query.Cursor(cursor, "groups", 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        return await queries.ScopeAsync(route.Value, at, cancellationToken) is { } scope
            ? TypedResults.Ok(await queries.GroupsAsync(scope, pattern, after, take, cancellationToken))
            : NoSyncBy(at);
    }

    /// <summary>List a group's users.</summary>
    /// <param name="groupId" example="g7Hk2Q">The group's SCIM id.</param>
    /// <param name="asOf" example="2026-06-30T23:59:59Z">Answer as of the last complete sync at or before this ISO 8601 instant.</param>
    /// <param name="cursor" example="WyJtZW1iZXJzIiwiYWRhQGV4YW1wbGUub3JnIiwiVUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEiXQ">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<MemberResponse>>, ValidationProblem, ProblemHttpResult>> ListMembers(
        Guid connectionId, string groupId, string? asOf, string? cursor, int? limit, RouteConnection route,
        AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var at = query.Instant("asOf", asOf);
        query.NotBefore("asOf", at, queries.HistoryStart);
        var after = query.Cursor(cursor, "members", 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        if (await queries.ScopeAsync(route.Value, at, cancellationToken) is not { } scope)
        {
            return NoSyncBy(at);
        }

        return await queries.MembersAsync(scope, groupId, after, take, cancellationToken) is { } page
            ? TypedResults.Ok(page)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: at is null ? "No such group in this connection's directory." : "No such group in the directory as of that sync.");
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
        RouteConnection route, AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var from = query.Instant("since", since);
        var to = query.Instant("until", until);
        kind = string.IsNullOrEmpty(kind) ? null : kind;
        query.OneOf("kind", kind, ChangeKinds);
        var after = query.ChangeCursor(cursor);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        return TypedResults.Ok(await queries.ChangesAsync(route.Id, new ChangeFilter(from, to, kind), after, take, cancellationToken));
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
        RouteConnection route, AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        query.OneOf("format", format, Formats);
        var csv = format == "csv" || (format is null && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)));
        var at = query.Instant("asOf", asOf);
        query.NotBefore("asOf", at, queries.HistoryStart);
        var after = csv ? null : query.Cursor(cursor, "access-review", 3);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        if (await queries.ScopeAsync(route.Value, at, cancellationToken) is not { } scope)
        {
            return NoSyncBy(at);
        }

        return csv
            ? new AccessReviewCsv(token => queries.OpenSheetAsync(scope, token), scope.At ?? scope.Connection.LastSuccessfulSyncAt, csvFormulaEscape ?? true)
            : TypedResults.Ok(await queries.ReviewPageAsync(scope, after, take, cancellationToken));
    }

    /// <summary>The red flags.</summary>
    /// <param name="since" example="2026-06-01T00:00:00Z">Count users added and removed from this ISO 8601 instant (default: 30 days ago).</param>
    /// <param name="dormantDays" example="90">Count as dormant the active users with no successful sign-in in this many days (1 to 3650, default 90).</param>
    internal static async Task<Results<Ok<SummaryResponse>, ValidationProblem, ProblemHttpResult>> GetSummary(
        Guid connectionId, string? since, int? dormantDays, RouteConnection route, AccessReviewQueries queries, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        query.DormantDays(dormantDays);
        var now = time.GetUtcNow();
        var from = query.Instant("since", since) ?? now.AddDays(-30);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        return TypedResults.Ok(await queries.SummaryAsync(new Scope(route.Value, null), from, now, cancellationToken, dormantDays ?? 90));
    }

    private static ProblemHttpResult NoSyncBy(DateTimeOffset? instant) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No sync at that time",
            detail: $"No sync of this connection had completed by {instant:O}, so there is no directory state to answer from. " +
                    "Pick a later asOf, or see GET .../syncs for when syncs succeeded.");
}
