using System.Buffers;
using System.Security.Cryptography;
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
        // The resource's bytes as the bridge sent them (only text PostgreSQL cannot store replaced): stored as evidence.
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
            ContentHash.Of(resource, "groups"));
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
            ContentHash.Of(resource, "members"));
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

/// <summary>
/// The digest a sync compares with the stored one to decide whether a resource must be staged at all: the resource in a
/// canonical form (attribute names lower-cased, as SCIM compares them (RFC 7643 §2.1), and sorted; strings unescaped;
/// no whitespace), without what the server derives or keeps for itself: <c>meta</c>, and a user's <c>groups</c> or a
/// group's <c>members</c>, which are tracked as memberships. A server that re-serialises the same resource, bumps
/// <c>lastModified</c>, or changes a group a user is in, leaves the digest as it was.
/// </summary>
internal static class ContentHash
{
    public static byte[] Of(JsonElement resource, string derived)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteObject(writer, resource, derived);
        }

        return SHA256.HashData(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(writer, value, null);
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(value.GetRawText(), skipInputValidation: true);
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.WriteBooleanValue(value.GetBoolean());
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <param name="derived">At the resource's top level: the derived attribute left out, besides <c>meta</c>.</param>
    private static void WriteObject(Utf8JsonWriter writer, JsonElement value, string? derived)
    {
        var properties = new List<(string Name, JsonElement Value)>();
        foreach (var property in value.EnumerateObject())
        {
            var name = property.Name.ToLowerInvariant();
            if (derived is not null && (name == "meta" || name == derived))
            {
                continue;
            }

            properties.Add((name, property.Value));
        }

        properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        writer.WriteStartObject();
        foreach (var (name, item) in properties)
        {
            writer.WritePropertyName(name);
            Write(writer, item);
        }

        writer.WriteEndObject();
    }
}
