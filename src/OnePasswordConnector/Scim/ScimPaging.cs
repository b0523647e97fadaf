using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>How a list endpoint is paged.</summary>
internal enum ScimPaging
{
    /// <summary><c>startIndex</c> and <c>count</c> (RFC 7644 §3.4.2.4): what every SCIM server offers, the 1Password bridge included.</summary>
    Offset,

    /// <summary><c>cursor</c> and <c>nextCursor</c> (RFC 9865): no position to shift when the directory is edited mid-read.</summary>
    Cursor,
}

internal static class ScimPagingAnnouncement
{
    /// <summary>
    /// Cursor paging when the ServiceProviderConfig announces it (RFC 9865 §5: <c>pagination.cursor: true</c>), offset
    /// paging otherwise, including when the document is missing or unreadable: every server pages by offset.
    /// </summary>
    public static ScimPaging Read(string? serviceProviderConfig)
    {
        if (string.IsNullOrEmpty(serviceProviderConfig))
        {
            return ScimPaging.Offset;
        }

        try
        {
            using var document = JsonDocument.Parse(serviceProviderConfig);
            return ScimJson.Property(document.RootElement, "pagination") is { } pagination && ScimJson.Bool(pagination, "cursor") == true
                ? ScimPaging.Cursor
                : ScimPaging.Offset;
        }
        catch (JsonException)
        {
            return ScimPaging.Offset;
        }
    }
}
