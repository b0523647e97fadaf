using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Reviews;

/// <summary>
/// Reviews of one connection: each pins a succeeded, complete sync run and answers users, groups, members and the
/// review sheet from that run's snapshot for as long as it exists, plus what changed since another review.
/// </summary>
internal static partial class ReviewsApi
{
    public static RouteGroupBuilder MapReviewsApi(this RouteGroupBuilder connection)
    {
        var reviews = connection.MapGroup("/reviews").WithTags("Reviews").ValidateBodies();
        reviews.MapPost("/", Create).WithName("CreateReview").WithSummary("Freeze the population of a complete sync for a review")
            .WithDescription("Pins the last succeeded sync that had finished by asOf (default: now). 422 when none had, or when that run is not complete.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        reviews.MapGet("/", List).WithName("ListReviews").WithSummary("List the connection's reviews, newest first");

        var one = reviews.MapGroup("/{reviewId:guid}");
        one.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var store = http.RequestServices.GetRequiredService<ReviewStore>();
            var connectionId = http.RequestServices.GetRequiredService<RouteConnection>().Id;
            if (!Guid.TryParse(http.GetRouteValue("reviewId") as string, out var reviewId)
                || await store.FindAsync(connectionId, reviewId, http.RequestAborted) is not { } review)
            {
                return ReviewNotFound();
            }

            http.RequestServices.GetRequiredService<RouteReview>().Value = review;
            return await next(context);
        });
        one.MapGet("", Get).WithName("GetReview").WithSummary("One review");
        one.MapDelete("", Delete).WithName("DeleteReview").WithSummary("Delete a review (API keys with the reviews:delete permission only)")
            .WithDescription("403 for a key without the reviews:delete permission. The pinned run's history is no longer held for this review.")
            .RequirePermission(ReviewsSetup.DeletePermission).ProducesProblem(StatusCodes.Status403Forbidden);
        one.MapGet("/diff", Diff).WithName("GetReviewDiff").WithSummary("What changed between this review and another (default: the previous one)")
            .WithDescription("Joiners, leavers, activations, deactivations, membership grants and revocations (direct or through nested groups), " +
                             "and grants and revocations of privileged groups, with counts. Without a previous review every person is a joiner.");
        MapPopulation(one);
        return one;
    }

    internal static async Task<Results<Created<ReviewResponse>, ValidationProblem, ProblemHttpResult>> Create(
        string tenantId, Guid connectionId, CreateReviewRequest request, RouteConnection route, ReviewStore store, HttpContext httpContext,
        CancellationToken cancellationToken)
    {
        var keyName = httpContext.User.Identity?.Name ?? "unknown";
        var (review, refusal) = await store.CreateAsync(route.Value, request.Name!, request.AsOf, keyName, cancellationToken);
        if (review is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: refusal!.Title, detail: refusal.Detail);
        }

        return TypedResults.Created($"/api/v1/tenants/{tenantId}/connections/{connectionId}/reviews/{review.Id}",
            ToResponse(review, await store.CompletenessAsync(review, cancellationToken)));
    }

    /// <summary>List reviews.</summary>
    /// <param name="cursor" example="WyJyZXZpZXdzIiwiMjAyNi0wOS0zMFQxMjowMDowMC4wMDAwMDAwKzAwOjAwIiwiMDE5YTAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAwIl0">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<ReviewPage>, ValidationProblem>> List(
        Guid connectionId, string? cursor, int? limit, ReviewStore store, ConnectorDbContext db, CancellationToken cancellationToken)
    {
        var query = new QueryParameters();
        var after = query.Cursor(cursor, "reviews", 2);
        var take = query.Limit(limit);
        (DateTimeOffset, Guid)? last = null;
        if (after is [var at, var id])
        {
            if (DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var instant) && Guid.TryParse(id, out var guid))
            {
                last = (instant, guid);
            }
            else
            {
                query.Errors["cursor"] = ["The cursor is not one this list gave out."];
            }
        }

        if (!query.Valid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var reviews = await store.ListAsync(connectionId, last, take + 1, cancellationToken);
        string? next = null;
        if (reviews.Count > take)
        {
            reviews.RemoveAt(take);
            next = QueryParameters.EncodeCursor("reviews", reviews[^1].CreatedAt.ToString("O", CultureInfo.InvariantCulture), reviews[^1].Id.ToString());
        }

        var runIds = reviews.Select(r => r.SyncRunId).Distinct().ToList();
        var records = await db.SyncRuns.AsNoTracking().Where(r => runIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Completeness, cancellationToken);
        return TypedResults.Ok(new ReviewPage(
            reviews.ConvertAll(r => ToResponse(r, JsonDocument.Parse(records.GetValueOrDefault(r.SyncRunId) ?? "{}").RootElement.Clone())), next));
    }

    internal static async Task<Ok<ReviewResponse>> Get(Guid connectionId, Guid reviewId, RouteReview route, ReviewStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(ToResponse(route.Value, await store.CompletenessAsync(route.Value, cancellationToken)));

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid connectionId, Guid reviewId, ReviewStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(connectionId, reviewId, cancellationToken) ? TypedResults.NoContent() : ReviewNotFound();

    /// <summary>Changes between two reviews.</summary>
    /// <param name="against" example="019a0000-0000-7000-8000-000000000000">The review to compare with (default: the previous review of this connection).</param>
    internal static async Task<Results<Ok<ReviewDiffResponse>, ProblemHttpResult>> Diff(
        Guid connectionId, Guid reviewId, Guid? against, RouteConnection connection, RouteReview route, ReviewStore store,
        CancellationToken cancellationToken)
    {
        var review = route.Value;
        Review? other = null;
        if ((against ?? review.PreviousReviewId) is { } otherId && (other = await store.FindAsync(connectionId, otherId, cancellationToken)) is null
            && against is not null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "No review with the id given in against exists for this connection.");
        }

        var changes = await DiffAsync(store, connection.Value, review, other, cancellationToken);
        return TypedResults.Ok(new ReviewDiffResponse(review.Id, other?.Id, ReviewDiff.Counts(changes), changes));
    }

    /// <summary>The changes from <paramref name="other"/> (null: an empty population) to <paramref name="review"/>.</summary>
    internal static async Task<List<ReviewChange>> DiffAsync(ReviewStore store, Connection connection, Review review, Review? other, CancellationToken cancellationToken) =>
        ReviewDiff.Between(await store.SheetAsync(connection, review, cancellationToken),
            other is null ? [] : await store.SheetAsync(connection, other, cancellationToken));

    internal static ReviewResponse ToResponse(Review r, JsonElement completeness) => new(
        r.Id, r.ConnectionId, r.Name, r.SyncRunId, r.AsOf, r.RunFinishedAt, completeness,
        new ReviewPopulation(r.Users, r.ActiveUsers, r.Groups, r.Memberships, r.PrivilegedMembers), r.PreviousReviewId, r.CreatedBy, r.CreatedAt);

    private static ProblemHttpResult ReviewNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such review for this connection.");
}

/// <summary>The review a <c>/reviews/{reviewId}</c> route names, looked up once by the group's filter.</summary>
internal sealed class RouteReview
{
    private Review? review;

    public Review Value
    {
        get => review ?? throw new InvalidOperationException("The endpoint is not under the review route group.");
        set => review = value;
    }
}
