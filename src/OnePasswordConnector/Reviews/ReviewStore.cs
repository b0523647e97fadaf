using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Reviews;

/// <summary>Why a review could not be pinned: no succeeded run by then, or the run that would be pinned is not complete.</summary>
internal sealed record PinRefusal(string Title, string Detail);

/// <summary>
/// Reviews and the populations they froze. A review never changes once created, so its whole sheet, which the
/// diff, the sinceLastReview marks and the evidence package all read, is kept in memory for a while after first use.
/// </summary>
internal sealed class ReviewStore(ConnectorDbContext db, NpgsqlDataSource data, AccessReviewQueries queries, FrozenSheets frozenSheets, TimeProvider time)
{
    private static readonly TimeSpan Kept = TimeSpan.FromMinutes(10);
    private readonly MemoryCache cache = frozenSheets.Cache;

    public async Task<(Review? Review, PinRefusal? Refusal)> CreateAsync(
        Connection connection, string name, DateTimeOffset? asOf, string createdBy, CancellationToken cancellationToken)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        var at = asOf ?? now;
        var run = await db.SyncRuns.AsNoTracking()
            .Where(r => r.ConnectionId == connection.Id && r.Status == SyncRunStatus.Succeeded && r.FinishedAt <= at)
            .OrderByDescending(r => r.FinishedAt).FirstOrDefaultAsync(cancellationToken);
        if (run is null)
        {
            return (null, new PinRefusal("No successful sync by then",
                $"No sync of this connection had succeeded by {at:O}: there is no population to freeze. Run a sync, or pick a later asOf."));
        }

        if (run.Complete != true)
        {
            return (null, new PinRefusal("The sync to pin is not complete",
                $"The last successful sync by {at:O} ({run.Id}) did not prove its enumeration complete, so it cannot be the evidence of a review. " +
                "See its completeness record at GET .../syncs/{runId}; run a new sync, or pick another asOf."));
        }

        var summary = await queries.SummaryAsync(Scope(connection, run.StartedAt, run.FinishedAt!.Value), run.FinishedAt.Value, now, cancellationToken);
        var previous = await db.Reviews.AsNoTracking().Where(r => r.ConnectionId == connection.Id)
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
        var review = new Review
        {
            Id = Guid.CreateVersion7(now),
            ConnectionId = connection.Id,
            TenantId = connection.TenantId,
            Name = name.Trim(),
            AsOf = PostgresTime.Microseconds(at),
            SyncRunId = run.Id,
            RunStartedAt = run.StartedAt,
            RunFinishedAt = run.FinishedAt.Value,
            PreviousReviewId = previous,
            Users = summary.UsersByStatus.Values.Sum(),
            ActiveUsers = summary.UsersByStatus.GetValueOrDefault("active"),
            Groups = summary.Groups,
            Memberships = summary.Memberships,
            PrivilegedMembers = summary.PrivilegedGroups.SelectMany(g => g.MemberDetails).Select(m => m.Id).Distinct(StringComparer.Ordinal).Count(),
            CreatedBy = createdBy,
            CreatedAt = now,
        };
        db.Reviews.Add(review);
        await db.SaveChangesAsync(cancellationToken);
        return (review, null);
    }

    public Task<Review?> FindAsync(Guid connectionId, Guid reviewId, CancellationToken cancellationToken) =>
        db.Reviews.AsNoTracking().FirstOrDefaultAsync(r => r.ConnectionId == connectionId && r.Id == reviewId, cancellationToken);

    /// <summary>Newest first, in (createdAt, id) order; <paramref name="after"/> is the last review of the previous page.</summary>
    public async Task<List<Review>> ListAsync(Guid connectionId, (DateTimeOffset At, Guid Id)? after, int take, CancellationToken cancellationToken)
    {
        var reviews = db.Reviews.AsNoTracking().Where(r => r.ConnectionId == connectionId);
        if (after is { } last)
        {
            reviews = reviews.Where(r => r.CreatedAt < last.At || (r.CreatedAt == last.At && r.Id.CompareTo(last.Id) < 0));
        }

        return await reviews.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(take).ToListAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(Guid connectionId, Guid reviewId, CancellationToken cancellationToken)
    {
        cache.Remove(reviewId);
        return await db.Reviews.Where(r => r.ConnectionId == connectionId && r.Id == reviewId).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>The pinned run's completeness record, verbatim; a run that recorded none gives {}.</summary>
    public async Task<JsonElement> CompletenessAsync(Review review, CancellationToken cancellationToken)
    {
        var record = await db.SyncRuns.AsNoTracking().Where(r => r.Id == review.SyncRunId).Select(r => r.Completeness).FirstOrDefaultAsync(cancellationToken);
        return JsonDocument.Parse(record ?? "{}").RootElement.Clone();
    }

    /// <summary>The snapshot every answer of the review reads: the directory as its pinned run left it.</summary>
    public static Scope Scope(Connection connection, Review review) => Scope(connection, review.RunStartedAt, review.RunFinishedAt);

    /// <summary>The review's whole sheet, in the order of its pages.</summary>
    public async Task<IReadOnlyList<AccessReviewRow>> SheetAsync(Connection connection, Review review, CancellationToken cancellationToken) =>
        (await FrozenAsync(connection, review, cancellationToken)).Sheet;

    /// <summary>The sheet lines of the review's previous review by (user, group), or null when it has none (or it was deleted).</summary>
    public async Task<IReadOnlyDictionary<string, string>?> PreviousIndexAsync(Connection connection, Review review, CancellationToken cancellationToken) =>
        review.PreviousReviewId is { } id && await FindAsync(review.ConnectionId, id, cancellationToken) is { } previous
            ? (await FrozenAsync(connection, previous, cancellationToken)).Index.Value
            : null;

    private async Task<FrozenSheet> FrozenAsync(Connection connection, Review review, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(review.Id, out FrozenSheet? frozen) && frozen is not null)
        {
            return frozen;
        }

        var rows = new List<AccessReviewRow>();
        await foreach (var row in queries.SheetAsync(Scope(connection, review), cancellationToken))
        {
            rows.Add(row);
        }

        frozen = new FrozenSheet(rows, new Lazy<IReadOnlyDictionary<string, string>>(() => ReviewDiff.Index(rows)));
        cache.Set(review.Id, frozen, new MemoryCacheEntryOptions { SlidingExpiration = Kept, Size = Math.Max(1, rows.Count) });
        return frozen;
    }

    /// <summary>
    /// Every group of the review's population, by name. The groups list of the API counts each group's members with a
    /// query per group, which over a past snapshot of 100,000 users takes minutes; the evidence counts them from the
    /// sheet instead, so this reads the groups alone.
    /// </summary>
    public async Task<List<(string Id, string DisplayName, DateTimeOffset FirstSeenAt)>> GroupsAsync(Review review, CancellationToken cancellationToken)
    {
        var groups = new List<(string, string, DateTimeOffset)>();
        await using var command = data.CreateCommand(AccessReviewSql.Snapshot(asOf: true) + GroupsOfSnapshot);
        command.Parameters.Add(new NpgsqlParameter("c", NpgsqlDbType.Uuid) { Value = review.ConnectionId });
        command.Parameters.Add(new NpgsqlParameter("t", NpgsqlDbType.TimestampTz) { Value = review.RunFinishedAt });
        command.Parameters.Add(new NpgsqlParameter("v", NpgsqlDbType.TimestampTz) { Value = review.RunStartedAt });
        // The snapshot's sign-in part asks for the request's instant where there is no @t; a review always has one.
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = review.RunFinishedAt });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            groups.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return groups;
    }

    private const string GroupsOfSnapshot = "SELECT g.scim_id, g.display_name, g.first_seen_at FROM groups_at g ORDER BY g.display_name, g.scim_id";

    private static Scope Scope(Connection connection, DateTimeOffset startedAt, DateTimeOffset finishedAt) => new(connection, finishedAt, startedAt);

    /// <summary>A sheet and, built on first use (only the next review's sheet marks need it), its lines' fingerprints.</summary>
    private sealed record FrozenSheet(IReadOnlyList<AccessReviewRow> Sheet, Lazy<IReadOnlyDictionary<string, string>> Index);
}

/// <summary>Review sheets kept in memory, up to about two million lines in all (a few hundred MB at most).</summary>
internal sealed class FrozenSheets : IDisposable
{
    public MemoryCache Cache { get; } = new(new MemoryCacheOptions { SizeLimit = 2_000_000 });

    public void Dispose() => Cache.Dispose();
}
