using System.Runtime.CompilerServices;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>Pages read and resources yielded so far, for a run's progress.</summary>
internal interface IEnumerationProgress
{
    void PageRead(string resourceType, int resources);
}

/// <summary>Reads one list page from the bridge; the pager's rules are tested against a scripted one.</summary>
internal delegate Task<ScimDocument> ScimPageReader(BridgeEndpoint bridge, Uri uri, bool extractMembers, CancellationToken cancellationToken);

/// <summary>
/// Walks a SCIM list endpoint and yields each resource exactly once, or throws. Real servers cap or ignore
/// <c>count</c>, echo it as <c>itemsPerPage</c>, answer past the end with the first page again, and shift ids while
/// the directory is edited; so the pager counts what came back and vouches for a directory only after one pass from
/// the first page that saw it hold still (see <see cref="EnumerateAsync"/>).
/// </summary>
internal sealed partial class ScimPager(
    ScimPageReader readPage, int pageSize, int maxPages, int maxConcurrentRequests = 1, int restarts = 0, ScimPaging paging = ScimPaging.Offset)
{
    public ScimPager(
        ScimClient client, int pageSize, int maxPages, int maxConcurrentRequests = 1, int restarts = 0, ScimPaging paging = ScimPaging.Offset)
        : this(client.GetJsonAsync, pageSize, maxPages, maxConcurrentRequests, restarts, paging)
    {
    }

    /// <summary>
    /// Yields each resource once. For Groups, members come lifted out of the page as it is read (see <see cref="ListPageReader"/>).
    /// </summary>
    /// <remarks>
    /// A pass reads the resource type from its first page. It is settled when every page announced the same
    /// <c>totalResults</c> and the pass saw exactly that many distinct ids (with cursor paging, when the bridge ends
    /// its cursor, and the count must match only when <c>totalResults</c> held still). A pass that saw the directory
    /// move (the count changed, a page came back empty or only with ids already read, too few or too many ids) stops,
    /// and the next pass starts again from the first page, up to <c>restarts</c> times. Ids yielded by an
    /// earlier pass are not yielded again, so the result is the union of the passes: a resource deleted during the
    /// enumeration may be in it, one that existed throughout is never missing from a settled pass. The ids yielded
    /// only by unsettled passes, not seen by the settled one, end in <see cref="EnumerationRecord.Unsettled"/>: they
    /// may be gone, so the caller must not take them as present unasked. When even the last pass was unsettled the
    /// enumeration fails: the directory changes faster than it can be read.
    /// </remarks>
    public async IAsyncEnumerable<ScimListItem> EnumerateAsync(
        BridgeEndpoint bridge, string resourceType, IEnumerationProgress progress, EnumerationRecord record,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        record.Paging = paging == ScimPaging.Cursor ? "cursor" : "offset";
        record.PageSizeAsked = pageSize;
        record.RequestParameters = $"count={pageSize}";
        var seen = new SeenIds();
        for (var number = 1; ; number++)
        {
            var pass = new EnumerationPass(number, seen, record, resourceType);
            var reader = new PageRequest(readPage, bridge, resourceType, progress, pass);
            var items = paging == ScimPaging.Cursor
                ? CursorPassAsync(reader, cancellationToken)
                : OffsetPassAsync(reader, cancellationToken);
            await foreach (var item in items)
            {
                yield return item;
            }

            if (pass.Unsettled is null)
            {
                // What only an unsettled pass returned may have been deleted since: the caller asks for it by id. A
                // first pass that settled leaves nothing behind, so the ids it saw need not be walked again.
                if (number > 1)
                {
                    record.Unsettled = [.. seen.NotSeenBy(number).Order(StringComparer.Ordinal)];
                }
                yield break;
            }

            if (number > restarts)
            {
                throw new BridgeException(BridgeFailure.InvalidResponse,
                    $"The {resourceType} enumeration is incomplete: the directory changes faster than it can be read "
                    + (number == 1 ? "(one pass, no restart allowed)" : $"({number} passes from the first page, none of them consistent)")
                    + $". The last pass, at page {pass.UnsettledAtPage}: {pass.Unsettled}");
            }

            record.Restarts++;
        }
    }

    internal static BridgeException Fail(string resourceType, int page, string why) =>
        new(BridgeFailure.InvalidResponse, $"The {resourceType} enumeration is incomplete at page {page}: {why}");

    /// <summary>Disposes a page that will not be used, whatever became of its request.</summary>
    private static async Task DiscardAsync(Task<ScimDocument> read)
    {
        try
        {
            (await read).Dispose();
        }
        catch (Exception ex) when (ex is BridgeException or OperationCanceledException)
        {
            // The pass no longer needs this page, so neither does its failure.
        }
    }

    /// <summary>What a pass needs to request a page and take its resources.</summary>
    private sealed record PageRequest(
        ScimPageReader Read, BridgeEndpoint Bridge, string ResourceType, IEnumerationProgress Progress, EnumerationPass Pass)
    {
        public Task<ScimDocument> StartAsync(string query, CancellationToken cancellationToken)
        {
            Pass.Requested();
            return Read(Bridge, Bridge.Resolve($"{ResourceType}?{query}"), ResourceType == "Groups", cancellationToken);
        }

        /// <summary>The page's <c>Resources</c> (default when absent), after noting it as read.</summary>
        public JsonElement Resources(JsonElement root, int? total)
        {
            var resources = ScimJson.Property(root, "Resources") is { ValueKind: JsonValueKind.Array } array ? array : default;
            var count = resources.ValueKind == JsonValueKind.Array ? resources.GetArrayLength() : 0;
            Progress.PageRead(ResourceType, count);
            Pass.Announced(total, count);
            return resources;
        }
    }
}

/// <summary>
/// One resource of a list page; for a group, its members when they were lifted out of the page; and the text in it
/// that was replaced because PostgreSQL cannot store it.
/// </summary>
internal readonly record struct ScimListItem(JsonElement Resource, IReadOnlyList<ScimMember>? Members, IReadOnlyList<LocatedRepair>? Repairs = null);
