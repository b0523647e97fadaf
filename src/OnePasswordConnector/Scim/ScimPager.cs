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
/// Walks a SCIM list endpoint page by page (RFC 7644 §3.4.2.4) and yields each resource exactly once, or throws.
/// Real servers cap or ignore <c>count</c>, echo it as <c>itemsPerPage</c>, answer past the end with the first page
/// again, and shift ids while the directory is edited; so the pager counts what came back, stops at
/// <c>totalResults</c> distinct ids, and fails rather than yield a directory it did not see whole.
/// </summary>
internal sealed class ScimPager(ScimPageReader readPage, int pageSize, int maxPages)
{
    public ScimPager(ScimClient client, int pageSize, int maxPages)
        : this(client.GetJsonAsync, pageSize, maxPages)
    {
    }

    /// <summary>Yields each resource once. For Groups, members come lifted out of the page (see <see cref="MemberExtraction"/>).</summary>
    public async IAsyncEnumerable<ScimListItem> EnumerateAsync(
        BridgeEndpoint bridge, string resourceType, IEnumerationProgress progress, EnumerationRecord record,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var extractMembers = resourceType == "Groups";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int? total = null;
        var startIndex = 1;
        record.PageSizeAsked = pageSize;
        record.RequestParameters = $"count={pageSize}";
        for (var page = 1; ; page++)
        {
            if (page > maxPages)
            {
                throw Fail(resourceType, page, $"gave up after {maxPages} pages without reaching totalResults ({total}).");
            }

            var uri = bridge.Resolve($"{resourceType}?startIndex={startIndex}&count={pageSize}");
            ScimDocument document;
            record.PagesRequested++;
            try
            {
                document = await readPage(bridge, uri, extractMembers, cancellationToken);
            }
            catch (BridgeException ex)
            {
                throw new BridgeException(ex.Failure, $"Reading {resourceType} page {page} (startIndex {startIndex}) failed: {ex.Message}", ex.StatusCode, ex);
            }

            using (document)
            {
                var root = document.RootElement;
                var pageTotal = ScimListShape.TotalResults(root)
                    ?? throw Fail(resourceType, page, "the answer is not a SCIM ListResponse (no totalResults).");
                if (total is { } expected && pageTotal != expected)
                {
                    throw Fail(resourceType, page,
                        $"totalResults changed from {expected} to {pageTotal} during the enumeration: the directory was being edited. The next sync will read it again.");
                }

                total = pageTotal;
                record.TotalResultsFirst ??= pageTotal;
                record.TotalResultsLast = pageTotal;
                var resources = ScimJson.Property(root, "Resources") is { ValueKind: JsonValueKind.Array } array ? array : default;
                var count = resources.ValueKind == JsonValueKind.Array ? resources.GetArrayLength() : 0;
                progress.PageRead(resourceType, count);
                record.PageSizeHonoured = Math.Max(record.PageSizeHonoured ?? 0, count);
                if (count == 0)
                {
                    if (seen.Count < pageTotal)
                    {
                        throw Fail(resourceType, page, $"an empty page came after {seen.Count} of {pageTotal} resources.");
                    }

                    yield break;
                }

                var fresh = 0;
                var index = -1;
                foreach (var resource in resources.EnumerateArray())
                {
                    if (resource.ValueKind == JsonValueKind.Object)
                    {
                        index++;
                    }

                    var id = ScimJson.String(resource, "id");
                    if (string.IsNullOrEmpty(id))
                    {
                        throw Fail(resourceType, page, "a resource has no id.");
                    }

                    if (seen.Add(id))
                    {
                        fresh++;
                        record.DistinctIds = seen.Count;
                        yield return new ScimListItem(resource, document.ExtractedMembers?.GetValueOrDefault(index), document.RepairsOf(index));
                    }
                    else
                    {
                        record.DuplicatesDropped++;
                    }
                }

                if (seen.Count > pageTotal)
                {
                    throw Fail(resourceType, page, $"more distinct resources ({seen.Count}) than totalResults ({pageTotal}).");
                }

                if (seen.Count == pageTotal)
                {
                    yield break;
                }

                if (fresh == 0)
                {
                    // A page of ids already seen: the server served the first page again, or ids shifted.
                    throw Fail(resourceType, page, $"the page repeated resources already read; only {seen.Count} of {pageTotal} were seen.");
                }

                startIndex += count;
            }
        }
    }

    private static BridgeException Fail(string resourceType, int page, string why) =>
        new(BridgeFailure.InvalidResponse, $"The {resourceType} enumeration is incomplete at page {page}: {why}");
}

/// <summary>
/// One resource of a list page; for a group, its members when they were lifted out of the page; and the text in it
/// that was replaced because PostgreSQL cannot store it.
/// </summary>
internal readonly record struct ScimListItem(JsonElement Resource, IReadOnlyList<ScimMember>? Members, IReadOnlyList<LocatedRepair>? Repairs = null);
