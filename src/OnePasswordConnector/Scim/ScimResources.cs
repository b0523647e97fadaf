using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnePasswordConnector.Scim;

/// <summary>A SCIM user as stored: the attributes an access review reads, plus the raw resource for evidence.</summary>
internal sealed record ScimUser(
    string Id,
    string? ExternalId,
    string UserName,
    string? GivenName,
    string? FamilyName,
    string? FormattedName,
    string? DisplayName,
    string? PrimaryEmail,
    string[] Emails,
    bool Active,
    string? State,
    DateTimeOffset? Created,
    DateTimeOffset? LastModified,
    string[] GroupIds,
    byte[] RawUtf8,
    byte[] Hash)
{
    /// <summary>
    /// Reads a user leniently: every attribute is optional.
    /// Only <c>id</c> is required, because nothing can be tracked without it.
    /// Unknown attributes and extensions stay in <see cref="RawUtf8"/>.
    /// </summary>
    public static ScimUser Parse(JsonElement resource)
    {
        var id = ScimJson.String(resource, "id");
        if (string.IsNullOrEmpty(id))
        {
            throw new BridgeException(BridgeFailure.InvalidResponse, "A user in the /Users list has no id.");
        }

        var name = ScimJson.Property(resource, "name") is { ValueKind: JsonValueKind.Object } n ? n : default;
        var emails = new List<string>();
        string? primary = null;
        if (ScimJson.Property(resource, "emails") is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var email in list.EnumerateArray())
            {
                if (ScimJson.String(email, "value") is { Length: > 0 } value)
                {
                    emails.Add(value);
                    if (ScimJson.Bool(email, "primary") == true)
                    {
                        primary ??= value;
                    }
                }
            }
        }

        var userName = ScimJson.String(resource, "userName") ?? primary ?? emails.FirstOrDefault() ?? id;
        var meta = ScimJson.Property(resource, "meta") is { ValueKind: JsonValueKind.Object } m ? m : default;
        // The resource's bytes exactly as the bridge sent them: stored as evidence and hashed, never re-encoded.
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(resource).ToArray();
        return new ScimUser(
            id,
            NullIfEmpty(ScimJson.String(resource, "externalId")),
            userName,
            name.ValueKind == JsonValueKind.Object ? ScimJson.String(name, "givenName") : null,
            name.ValueKind == JsonValueKind.Object ? ScimJson.String(name, "familyName") : null,
            name.ValueKind == JsonValueKind.Object ? ScimJson.String(name, "formatted") : null,
            ScimJson.String(resource, "displayName"),
            primary ?? emails.FirstOrDefault(),
            [.. emails],
            ScimJson.Bool(resource, "active") ?? true,
            OnePasswordState(resource),
            meta.ValueKind == JsonValueKind.Object ? ScimJson.Date(meta, "created") : null,
            meta.ValueKind == JsonValueKind.Object ? ScimJson.Date(meta, "lastModified") : null,
            ReferencedIds(resource, "groups"),
            raw,
            SHA256.HashData(raw));
    }

    /// <summary>
    /// The account state from a 1Password extension schema, where a bridge sends one (no public bridge is known to:
    /// then the state is derived from <c>active</c> by the read side).
    /// </summary>
    private static string? OnePasswordState(JsonElement resource)
    {
        foreach (var property in resource.EnumerateObject())
        {
            if (property.Name.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) &&
                property.Name.Contains("1password", StringComparison.OrdinalIgnoreCase) &&
                property.Value.ValueKind == JsonValueKind.Object)
            {
                return ScimJson.String(property.Value, "state") ?? ScimJson.String(property.Value, "status");
            }
        }

        return null;
    }

    internal static string[] ReferencedIds(JsonElement resource, string attribute)
    {
        if (ScimJson.Property(resource, attribute) is not { ValueKind: JsonValueKind.Array } items)
        {
            return [];
        }

        var ids = new List<string>();
        foreach (var item in items.EnumerateArray())
        {
            if (ScimJson.String(item, "value") is { Length: > 0 } value)
            {
                ids.Add(value);
            }
        }

        return [.. ids];
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>A group member: a user, or a group for nested groups.</summary>
internal readonly record struct ScimMember(string Id, string Type);

/// <summary>
/// A SCIM group. <see cref="Members"/> is null when the bridge left the attribute out (then it must be read another
/// way), and empty when the group has no members. <see cref="Raw"/> is the resource without its member list, which
/// lives in the memberships table instead.
/// </summary>
internal sealed record ScimGroup(
    string Id,
    string DisplayName,
    string? ExternalId,
    DateTimeOffset? Created,
    DateTimeOffset? LastModified,
    IReadOnlyList<ScimMember>? Members,
    string Raw,
    byte[] Hash)
{
    /// <param name="extractedMembers">The members when they were lifted out of the page; the resource then has none.</param>
    public static ScimGroup Parse(JsonElement resource, IReadOnlyList<ScimMember>? extractedMembers = null)
    {
        var id = ScimJson.String(resource, "id");
        if (string.IsNullOrEmpty(id))
        {
            throw new BridgeException(BridgeFailure.InvalidResponse, "A group in the /Groups list has no id.");
        }

        IReadOnlyList<ScimMember>? members = extractedMembers;
        var withoutMembers = new JsonObject();
        foreach (var property in resource.EnumerateObject())
        {
            if (string.Equals(property.Name, "members", StringComparison.OrdinalIgnoreCase))
            {
                members ??= ReadMembers(property.Value);
                continue;
            }

            withoutMembers[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        var meta = ScimJson.Property(resource, "meta") is { ValueKind: JsonValueKind.Object } m ? m : default;
        var raw = withoutMembers.ToJsonString();
        return new ScimGroup(
            id,
            ScimJson.String(resource, "displayName") ?? id,
            ScimJson.String(resource, "externalId") is { Length: > 0 } external ? external : null,
            meta.ValueKind == JsonValueKind.Object ? ScimJson.Date(meta, "created") : null,
            meta.ValueKind == JsonValueKind.Object ? ScimJson.Date(meta, "lastModified") : null,
            members,
            raw,
            SHA256.HashData(Encoding.UTF8.GetBytes(raw)));
    }

    /// <summary>Null unless the value is an array: <c>"members": null</c> says nothing about who the members are.</summary>
    private static List<ScimMember>? ReadMembers(JsonElement value)
    {
        var members = new List<ScimMember>();
        if (value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in value.EnumerateArray())
        {
            if (ScimJson.String(member, "value") is { Length: > 0 } id && seen.Add(id))
            {
                var type = ScimJson.String(member, "type");
                members.Add(new ScimMember(id, string.Equals(type, "Group", StringComparison.OrdinalIgnoreCase) ? "Group" : "User"));
            }
        }

        return members;
    }
}
