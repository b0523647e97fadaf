using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>
/// One read of a resource type from its first page, and what it showed. <c>seen</c> is shared by every pass of
/// one enumeration: it maps each id to the last pass that saw it, so an id is yielded only by the first pass that sees
/// it, while each pass still counts the distinct ids it saw itself.
/// </summary>
internal sealed class EnumerationPass(int number, SeenIds seen, EnumerationRecord record, string resourceType)
{
    public int Number => number;

    /// <summary>Requests this pass made; the page limit applies to each pass.</summary>
    public int Requests { get; private set; }

    /// <summary>Distinct ids this pass saw, whether or not an earlier pass had yielded them.</summary>
    public int Distinct { get; private set; }

    /// <summary>Ids on the last page taken that this pass had not seen before.</summary>
    public int Fresh { get; private set; }

    /// <summary><c>totalResults</c> of the pass's first page.</summary>
    public int? Total { get; set; }

    /// <summary>Whether a later page announced another <c>totalResults</c> than the first.</summary>
    public bool TotalChanged { get; set; }

    /// <summary>Why this pass cannot vouch for the whole directory; null while it can.</summary>
    public string? Unsettled { get; private set; }

    public int UnsettledAtPage { get; private set; }

    public void Requested()
    {
        Requests++;
        record.PagesRequested++;
        if (number > 1)
        {
            record.PagesReread++;
        }
    }

    public void Unsettle(int page, string why)
    {
        Unsettled ??= why;
        UnsettledAtPage = UnsettledAtPage == 0 ? page : UnsettledAtPage;
    }

    /// <summary>Notes a page in the record: the most resources a page held, and its <c>totalResults</c> (the first of the enumeration and the latest).</summary>
    public void Announced(int? total, int resources)
    {
        record.PageSizeHonoured = Math.Max(record.PageSizeHonoured ?? 0, resources);
        if (total is { } t)
        {
            record.TotalResultsFirst ??= t;
            record.TotalResultsLast = t;
        }
    }

    /// <summary>The resources of one page that no pass has yielded yet; counts what this pass saw on the way.</summary>
    public IEnumerable<ScimListItem> Take(ScimDocument document, JsonElement resources, int page)
    {
        Fresh = 0;
        if (resources.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

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
                throw ScimPager.Fail(resourceType, page, "a resource has no id.");
            }

            var lastPass = seen.See(id, number);
            if (lastPass == number)
            {
                record.DuplicatesDropped++;
                continue;
            }

            Distinct++;
            Fresh++;
            if (lastPass == 0)
            {
                record.DistinctIds = seen.Count;
                yield return new ScimListItem(resource, document.ExtractedMembers?.GetValueOrDefault(index), document.RepairsOf(index));
            }
        }
    }
}
