using System.Text.Json;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>What a run proves about the population it read (docs/api.md, "The completeness record").</summary>
/// <param name="Complete">True only when every check passed: the population below is the bridge's, whole.</param>
/// <param name="StartedAt">When the run started; every row it wrote carries this instant.</param>
/// <param name="FinishedAt">When the run ended, succeeded or not.</param>
/// <param name="PopulationDigest">SHA-256 (lowercase hex) of the stored population in its canonical form after the merge;
/// null when the run merged nothing.</param>
/// <param name="Users">What the /Users enumeration showed.</param>
/// <param name="Groups">What the /Groups enumeration showed.</param>
/// <param name="Bridge">What the bridge said about itself as the run began.</param>
/// <param name="Checks">Each check the run made, and whether it passed.</param>
public sealed record SyncCompleteness(
    bool Complete,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? PopulationDigest,
    EnumerationEvidence Users,
    EnumerationEvidence Groups,
    BridgeEvidence Bridge,
    CompletenessCheck[] Checks);

/// <summary>One resource type's enumeration, as counted while it ran.</summary>
/// <param name="Paging">offset (startIndex and count) or cursor (RFC 9865).</param>
/// <param name="RequestParameters">The query every page request carried apart from its position, e.g. count=100.</param>
/// <param name="TotalResultsFirst">totalResults on the first page.</param>
/// <param name="TotalResultsLast">totalResults on the last page.</param>
/// <param name="DistinctIds">Distinct ids received.</param>
/// <param name="PageSizeHonoured">The most resources one page held: what the server honoured of the size asked.</param>
/// <param name="MemberListsRead">Groups only: member lists read through GET /Groups/{id}.</param>
/// <param name="RemovalsConfirmed">Stored resources the enumeration did not return and the bridge answered 404 for.</param>
/// <param name="RemovalsRefuted">Stored resources the enumeration did not return but the bridge still had: kept.</param>
/// <param name="UnsettledGone">Ids only a pass that saw the directory move returned, for which the bridge answered 404: not stored.</param>
/// <param name="UnsettledKept">Ids only a pass that saw the directory move returned, which the bridge still had: stored from that answer.</param>
public sealed record EnumerationEvidence(
    string Paging,
    string? RequestParameters,
    int? TotalResultsFirst,
    int? TotalResultsLast,
    int DistinctIds,
    int PagesRequested,
    int PageSizeAsked,
    int? PageSizeHonoured,
    int DuplicatesDropped,
    int PagesReread,
    int Restarts,
    int MemberListsRead,
    int RemovalsConfirmed,
    int RemovalsRefuted,
    int UnsettledGone,
    int UnsettledKept);

/// <summary>The bridge as the run found it.</summary>
/// <param name="Health">The state of each report in the bridge's /health answer (a 1Password bridge extra).</param>
public sealed record BridgeEvidence(string? Version, string? Build, HealthReportState[] Health);

/// <summary>One report of a bridge's /health answer.</summary>
public sealed record HealthReportState(string? Source, string? State);

/// <summary>One check of a run's completeness.</summary>
/// <param name="Name">bridge_answered, groups_enumerated, group_members_read, users_enumerated, removals_confirmed or merged.</param>
/// <param name="Detail">What was found, in words.</param>
public sealed record CompletenessCheck(string Name, bool Passed, string Detail);

/// <summary>Assembles and stores a run's completeness record from what its parts counted.</summary>
internal static class CompletenessRecord
{
    public static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    /// <param name="digest">The population digest after the merge; null for a run that did not merge.</param>
    /// <param name="failure">Why the run stopped; null for a run that merged.</param>
    public static SyncCompleteness Assemble(
        DateTimeOffset startedAt, ProvisioningReport report, StageResult staged, bool baseline, string? digest, string? failure)
    {
        CompletenessCheck[] checks =
        [
            new("bridge_answered", report.Reachable && report.TokenAccepted == true, report.Reachable
                ? "The bridge answered GET ServiceProviderConfig with the token."
                : "The bridge did not answer GET ServiceProviderConfig."),
            Enumerated("groups_enumerated", "Groups", staged.GroupsEnumerated, staged.Groups),
            new("group_members_read", staged.GroupsEnumerated && staged.UsersEnumerated && staged.MemberListsUnknown == 0,
                !staged.GroupsEnumerated || !staged.UsersEnumerated ? "Not reached: the enumeration did not finish."
                : staged.MemberListsUnknown == 0 ? $"Every group's member list was read ({staged.Groups.MemberListsRead} through GET /Groups/{{id}})."
                : $"{staged.MemberListsUnknown} groups' member lists could not be read; their stored members were kept."),
            Enumerated("users_enumerated", "Users", staged.UsersEnumerated, staged.Users),
            new("removals_confirmed", staged.RemovalsChecked, !staged.RemovalsChecked ? "Not reached: the enumeration did not finish."
                : (baseline ? "The first sync: nothing was stored, so nothing could be removed."
                : $"Every stored user and group the enumeration did not return was looked up: {staged.Users.RemovalsConfirmed} users and "
                  + $"{staged.Groups.RemovalsConfirmed} groups answered 404; {staged.Users.RemovalsRefuted} users and "
                  + $"{staged.Groups.RemovalsRefuted} groups still exist and were kept.") + Unsettled(staged)),
            new("merged", digest is not null, digest is not null
                ? "The directory was merged in one transaction and its population digest computed from the stored rows."
                : $"Nothing was merged: {failure}"),
        ];
        return new SyncCompleteness(
            checks.All(c => c.Passed), startedAt, null, digest, Evidence(staged.Users), Evidence(staged.Groups),
            new BridgeEvidence(report.BridgeVersion, report.BridgeBuild, HealthStates(report.HealthReports)), checks);
    }

    public static string ToJson(SyncCompleteness record) => JsonSerializer.Serialize(record, Json);

    public static SyncCompleteness? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<SyncCompleteness>(json, Json);

    private static string Unsettled(StageResult staged) =>
        staged.Users.UnsettledGone + staged.Users.UnsettledKept + staged.Groups.UnsettledGone + staged.Groups.UnsettledKept == 0 ? ""
        : $" Of the ids only a pass that saw the directory move returned, {staged.Users.UnsettledGone} users and {staged.Groups.UnsettledGone} "
          + $"groups answered 404 and are not stored; {staged.Users.UnsettledKept} users and {staged.Groups.UnsettledKept} groups still "
          + "exist and were stored from that answer.";

    private static CompletenessCheck Enumerated(string name, string resourceType, bool finished, EnumerationRecord record) =>
        new(name, finished, finished
            ? $"GET /{resourceType} was read to its end: {record.DistinctIds} distinct ids in {record.PagesRequested} pages; totalResults "
              + $"{record.TotalResultsFirst} on the first page and {record.TotalResultsLast} on the last."
            : $"GET /{resourceType} was not read to its end ({record.DistinctIds} distinct ids in {record.PagesRequested} pages).");

    private static EnumerationEvidence Evidence(EnumerationRecord r) => new(
        r.Paging, r.RequestParameters, r.TotalResultsFirst, r.TotalResultsLast, r.DistinctIds, r.PagesRequested, r.PageSizeAsked,
        r.PageSizeHonoured, r.DuplicatesDropped, r.PagesReread, r.Restarts, r.MemberListsRead, r.RemovalsConfirmed, r.RemovalsRefuted,
        r.UnsettledGone, r.UnsettledKept);

    private static HealthReportState[] HealthStates(string? health)
    {
        if (health is null)
        {
            return [];
        }

        using var document = JsonDocument.Parse(health);
        return ScimJson.Property(document.RootElement, "reports") is { ValueKind: JsonValueKind.Array } reports
            ? [.. reports.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object)
                .Select(r => new HealthReportState(ScimJson.String(r, "source"), ScimJson.String(r, "state")))]
            : [];
    }
}
