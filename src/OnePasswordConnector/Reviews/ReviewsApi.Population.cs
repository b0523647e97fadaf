using Microsoft.AspNetCore.Http.HttpResults;
using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Connections;

namespace OnePasswordConnector.Reviews;

/// <summary>The live API's users, groups, members and review sheet, answered from the review's pinned run.</summary>
internal static partial class ReviewsApi
{
    private static readonly string[] UserSorts = ["userName", "name"];

    private static void MapPopulation(RouteGroupBuilder one)
    {
        one.MapGet("/users", ListUsers).WithName("ListReviewUsers").WithSummary("The review's users, as its pinned run saw them");
        one.MapGet("/groups", ListGroups).WithName("ListReviewGroups").WithSummary("The review's groups with member counts");
        one.MapGet("/groups/{groupId}/members", ListMembers).WithName("ListReviewGroupMembers").WithSummary("The users in a group, as the review froze them");
        one.MapGet("/access-review", GetSheet).WithName("GetReviewSheet")
            .WithSummary("The review sheet of the pinned run, each line marked new, changed or unchanged since the previous review");
    }

    /// <summary>The review's users.</summary>
    /// <param name="status" example="inactive">active, inactive, or a 1Password account state (e.g. suspended).</param>
    /// <param name="groupId" example="g7Hk2Q">Only members of this group (its SCIM id).</param>
    /// <param name="q" example="ada">Case-insensitive text contained in userName, displayName, formatted name or primary email.</param>
    /// <param name="sort" example="userName">userName (default) or name (display name).</param>
    /// <param name="cursor" example="WyJ1c2Vyczp1c2VyTmFtZSIsImFkYUBleGFtcGxlLm9yZyIsIlVBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBIl0">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<UserResponse>>, ValidationProblem>> ListUsers(
        Guid connectionId, Guid reviewId, string? status, string? groupId, string? q, string? sort, string? cursor, int? limit,
        RouteConnection connection, RouteReview review, AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var statusFilter = query.Status(status);
        var pattern = query.Contains(q);
        sort ??= "userName";
        query.OneOf("sort", sort, UserSorts);
        var after = query.Cursor(cursor, "users:" + sort, 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var filter = new UserFilter(statusFilter, string.IsNullOrEmpty(groupId) ? null : groupId, pattern, false, sort);
        return TypedResults.Ok(await queries.UsersAsync(ReviewStore.Scope(connection.Value, review.Value), filter, after, take, cancellationToken));
    }

    /// <summary>The review's groups.</summary>
    /// <param name="q" example="admin">Case-insensitive text contained in the group's name.</param>
    /// <param name="cursor" example="WyJncm91cHMiLCJFbmdpbmVlcmluZyIsImdiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiIl0">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<GroupResponse>>, ValidationProblem>> ListGroups(
        Guid connectionId, Guid reviewId, string? q, string? cursor, int? limit, RouteConnection connection, RouteReview review,
        AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var pattern = query.Contains(q);
        var after = query.Cursor(cursor, "groups", 2);
        var take = query.Limit(limit);
        return query.Valid
            ? TypedResults.Ok(await queries.GroupsAsync(ReviewStore.Scope(connection.Value, review.Value), pattern, after, take, cancellationToken))
            : TypedResults.ValidationProblem(query.Errors);
    }

    /// <summary>A group's users in the review.</summary>
    /// <param name="groupId" example="g7Hk2Q">The group's SCIM id.</param>
    /// <param name="cursor" example="WyJtZW1iZXJzIiwiYWRhQGV4YW1wbGUub3JnIiwiVUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEiXQ">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<PageResponse<MemberResponse>>, ValidationProblem, ProblemHttpResult>> ListMembers(
        Guid connectionId, Guid reviewId, string groupId, string? cursor, int? limit, RouteConnection connection, RouteReview review,
        AccessReviewQueries queries, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var after = query.Cursor(cursor, "members", 2);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        return await queries.MembersAsync(ReviewStore.Scope(connection.Value, review.Value), groupId, after, take, cancellationToken) is { } page
            ? TypedResults.Ok(page)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such group in this review's population.");
    }

    /// <summary>The review sheet, marked against the previous review.</summary>
    /// <param name="cursor" example="WyJhY2Nlc3MtcmV2aWV3IiwiYWRhQGV4YW1wbGUub3JnIiwiVUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEiLCJnYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYiJd">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<ReviewSheetPage>, ValidationProblem>> GetSheet(
        Guid connectionId, Guid reviewId, string? cursor, int? limit, RouteConnection connection, RouteReview review,
        AccessReviewQueries queries, ReviewStore store, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var after = query.Cursor(cursor, "access-review", 3);
        var take = query.Limit(limit);
        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var page = await queries.ReviewPageAsync(ReviewStore.Scope(connection.Value, review.Value), after, take, cancellationToken);
        var previous = await store.PreviousIndexAsync(connection.Value, review.Value, cancellationToken);
        return TypedResults.Ok(new ReviewSheetPage(page.Items.Select(r => Mark(r, previous)).ToList(), page.NextCursor, review.Value.RunFinishedAt));
    }

    internal static ReviewSheetRow Mark(AccessReviewRow r, IReadOnlyDictionary<string, string>? previous) => new(
        r.UserId, r.UserName, r.DisplayName, r.PrimaryEmail, r.Emails, r.Status, r.Active, r.FirstSeenAt, r.GroupId, r.GroupName, r.MemberSince, r.Via,
        ReviewDiff.SinceLastReview(r, previous), r.SignIns);
}
