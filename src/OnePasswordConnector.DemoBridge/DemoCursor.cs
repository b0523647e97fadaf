using System.Buffers.Text;
using System.Text;

namespace OnePasswordConnector.DemoBridge;

/// <summary>
/// Cursor paging (RFC 9865) over a list ordered by id. A cursor holds the last id handed out, so the next page starts
/// after it wherever it now stands: users added or deleted elsewhere shift nothing, unlike an offset.
/// </summary>
internal static class DemoCursor
{
    /// <summary>Whether a list request is paged by cursor: it names one, or, in cursor mode, names no startIndex either.</summary>
    public static bool Applies(DemoPaging paging, IQueryCollection query) =>
        paging == DemoPaging.Cursor && (query.ContainsKey("cursor") || !query.ContainsKey("startIndex"));

    /// <summary>The cursor for the page after <paramref name="lastId"/>: base64url, within RFC 3986's unreserved characters.</summary>
    public static string After(string lastId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastId));

    /// <summary>How many of <paramref name="items"/> (ordered by id) come before the page the cursor points at.</summary>
    public static bool TrySkip<T>(string cursor, T[] items, Func<T, string> id, out int skip)
    {
        skip = 0;
        if (cursor.Length == 0)
        {
            return true;
        }

        string lastId;
        try
        {
            lastId = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return false;
        }

        // The first item after lastId, by binary search: the list is ordered by id, ordinally.
        int low = 0, high = items.Length;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (string.CompareOrdinal(id(items[middle]), lastId) <= 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        skip = low;
        return true;
    }
}
