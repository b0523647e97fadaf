using System.Text.Json;
using OnePasswordConnector.Scim;
using OnePasswordConnector.SignIns;

namespace OnePasswordConnector.Sync;

/// <summary>A data-quality warning a sync met and got past: the run still succeeds.</summary>
/// <param name="Kind"><c>text_replaced</c> (text PostgreSQL cannot store was replaced with U+FFFD) or <c>unknown_member</c>
/// (a group lists a member id that is no user or group the bridge listed).</param>
/// <param name="ResourceType">User or Group.</param>
/// <param name="ResourceId">The SCIM id of the user or group.</param>
/// <param name="Attribute">The attribute path, such as <c>displayName</c>, <c>name.formatted</c> or <c>members</c>.</param>
/// <param name="Value">What was replaced (<c>\u0000</c>, <c>\uD800</c>, <c>0xFF</c>), or the unknown member id.</param>
/// <param name="Detail">The warning in words.</param>
public sealed record SyncWarning(string Kind, string ResourceType, string ResourceId, string Attribute, string Value, string Detail);

/// <summary>The warnings of one run: all are counted, the first <see cref="Kept"/> are kept in full.</summary>
internal sealed class SyncWarnings
{
    public const int Kept = 100;

    private readonly List<SyncWarning> first = [];

    public int Count { get; private set; }

    public IReadOnlyList<SyncWarning> First => first;

    public void Add(SyncWarning warning)
    {
        Count++;
        if (first.Count < Kept)
        {
            first.Add(warning);
        }
    }

    /// <summary>One warning per attribute of the resource, naming everything replaced in it.</summary>
    public void TextReplaced(string resourceType, string resourceId, IReadOnlyList<LocatedRepair>? repairs)
    {
        if (repairs is null)
        {
            return;
        }

        foreach (var attribute in repairs.GroupBy(r => r.Attribute, StringComparer.Ordinal))
        {
            var replaced = string.Join(", ", attribute.Select(r => r.Replaced).Distinct(StringComparer.Ordinal));
            Add(new SyncWarning("text_replaced", resourceType, resourceId, attribute.Key, replaced,
                $"{resourceType} {resourceId}: {attribute.Key} held text PostgreSQL cannot store ({replaced}); it is stored with U+FFFD in its place."));
        }
    }

    /// <summary>Warnings met beyond the ones kept in full: counted only.</summary>
    public void CountWithoutDetails(int more) => Count += Math.Max(more, 0);

    public void UnknownMember(string groupId, string memberId) =>
        Add(new SyncWarning("unknown_member", "Group", groupId, "members", memberId,
            $"Group {groupId} lists member {memberId}, which is no user or group the bridge listed."));

    /// <summary>
    /// What the sign-in collection after a run leaves on it: <c>sign_ins_incomplete</c> with the reason it stopped
    /// short, and <c>sign_ins_unmatched</c> with the number of attempts that matched no synced user.
    /// </summary>
    public static SyncWarning[] SignIns(SignInCollection? collection)
    {
        var warnings = new List<SyncWarning>();
        if (collection?.FailureCode is { } code)
        {
            warnings.Add(new SyncWarning("sign_ins_incomplete", "SignInAttempts", "", "cursor", code,
                $"Sign-in attempts were not read to the end ({collection.Read} read): {collection.Failure}"));
        }

        if (collection?.Unmatched is > 0 and var unmatched)
        {
            warnings.Add(new SyncWarning("sign_ins_unmatched", "SignInAttempts", "", "target_user", unmatched.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{unmatched} of {collection.Read} sign-in attempts named a user who is no synced user by uuid or email; they are stored unmatched."));
        }

        return [.. warnings];
    }

    public string ToJson() => JsonSerializer.Serialize(first, JsonSerializerOptions.Web);

    public static SyncWarning[] FromJson(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<SyncWarning[]>(json, JsonSerializerOptions.Web) ?? [];
}
