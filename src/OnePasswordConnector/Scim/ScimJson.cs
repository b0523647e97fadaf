using System.Globalization;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>Lenient readers for SCIM JSON: every attribute is optional and may come in the wrong type.</summary>
internal static class ScimJson
{
    public static string? String(JsonElement element, string name) =>
        Property(element, name) is { } value ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        } : null;

    public static int? Int(JsonElement element, string name) =>
        Property(element, name) is { } value ? value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        } : null;

    public static bool? Bool(JsonElement element, string name) =>
        Property(element, name) is { } value ? value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var b) => b,
            _ => null,
        } : null;

    public static DateTimeOffset? Date(JsonElement element, string name) =>
        String(element, name) is { Length: > 0 } text &&
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? date
            : null;

    /// <summary>SCIM attribute names are case-insensitive (RFC 7643 §2.1).</summary>
    public static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (element.TryGetProperty(name, out var exact))
        {
            return exact;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}

internal static class ScimListShape
{
    public const string ListResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    public const string ServiceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

    /// <summary><c>totalResults</c> of a ListResponse, or null when the JSON is not one.</summary>
    public static int? TotalResults(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var total = ScimJson.Int(root, "totalResults");
        var resources = ScimJson.Property(root, "Resources");
        var declared = HasSchema(root, ListResponseSchema);
        return total is not null && (declared || resources is { ValueKind: JsonValueKind.Array } || total == 0) ? total : null;
    }

    /// <summary>Some servers drop <c>schemas</c>; a document with the SPC's own attributes counts too.</summary>
    public static bool IsServiceProviderConfig(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object &&
        (HasSchema(root, ServiceProviderConfigSchema) ||
         (ScimJson.Property(root, "patch") is not null && ScimJson.Property(root, "filter") is not null));

    public static bool HasSchema(JsonElement root, string schema) =>
        ScimJson.Property(root, "schemas") is { ValueKind: JsonValueKind.Array } schemas &&
        schemas.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.String && string.Equals(s.GetString(), schema, StringComparison.OrdinalIgnoreCase));
}
