namespace OnePasswordConnector.Scim;

/// <summary>
/// What one enumeration of a resource type showed about its own completeness: the part of a run's completeness record
/// that the pager can vouch for. The sync adds what it learns afterwards (member reads, removal checks).
/// </summary>
internal sealed class EnumerationRecord
{
    /// <summary>"offset" (startIndex and count, RFC 7644 §3.4.2.4) or "cursor" (RFC 9865).</summary>
    public string Paging { get; set; } = "offset";

    /// <summary>The query every page request carried apart from its position, e.g. <c>count=100</c>.</summary>
    public string? RequestParameters { get; set; }

    public int? TotalResultsFirst { get; set; }
    public int? TotalResultsLast { get; set; }
    public int DistinctIds { get; set; }
    public int PagesRequested { get; set; }
    public int PageSizeAsked { get; set; }

    /// <summary>The most resources one page held: what the server honoured of <see cref="PageSizeAsked"/>.</summary>
    public int? PageSizeHonoured { get; set; }

    public int DuplicatesDropped { get; set; }
    public int PagesReread { get; set; }
    public int Restarts { get; set; }

    /// <summary>Groups only: member lists read through <c>GET /Groups/{id}</c> because the list page had none.</summary>
    public int MemberListsRead { get; set; }

    /// <summary>Stored resources the enumeration did not return, for which the bridge answered 404.</summary>
    public int RemovalsConfirmed { get; set; }

    /// <summary>Stored resources the enumeration did not return but the bridge still has: kept, not recorded as removed.</summary>
    public int RemovalsRefuted { get; set; }

    /// <summary>
    /// Ids that only an unsettled pass yielded and the settled pass did not see, in ordinal order: deleted during the
    /// read, so not part of the population until the bridge answers for them by id. Only their outcome is in the record.
    /// </summary>
    public IReadOnlyList<string> Unsettled { get; set; } = [];

    /// <summary>Of <see cref="Unsettled"/>, those the bridge answered 404 for: left out of the population.</summary>
    public int UnsettledGone { get; set; }

    /// <summary>Of <see cref="Unsettled"/>, those the bridge still has: stored, refreshed from that answer.</summary>
    public int UnsettledKept { get; set; }
}
