using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// Reads the access-review query string, collecting one error per bad parameter so a caller fixes them all at once.
/// </summary>
internal sealed partial class QueryParameters
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public Dictionary<string, string[]> Errors { get; } = [];

    public bool Valid => Errors.Count == 0;

    public int Limit(int? limit)
    {
        if (limit is < 1 or > MaxLimit)
        {
            Errors["limit"] = [$"The limit must be between 1 and {MaxLimit}."];
        }

        return limit ?? DefaultLimit;
    }

    /// <summary>Days without a successful sign-in that make an account dormant.</summary>
    public void DormantDays(int? days)
    {
        if (days is < 1 or > 3650)
        {
            Errors["dormantDays"] = ["dormantDays must be between 1 and 3650."];
        }
    }

    /// <summary>An ISO 8601 instant; without an offset it is taken as UTC.</summary>
    public DateTimeOffset? Instant(string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        Errors[name] = [$"'{value}' is not an ISO 8601 timestamp such as 2026-06-30T23:59:59Z."];
        return null;
    }

    /// <summary>An instant the retained history cannot answer for: older than <c>Retention:HistoryDays</c>.</summary>
    public void NotBefore(string name, DateTimeOffset? instant, DateTimeOffset historyStart)
    {
        if (instant < historyStart)
        {
            Errors[name] = [$"History before {historyStart:O} is no longer kept (Retention:HistoryDays), so the directory as of {instant:O} cannot be told. A review created at that time still answers from its own pinned sync."];
        }
    }

    /// <summary>A case-insensitive "contains" pattern for ILIKE, with the user's wildcards taken literally.</summary>
    public string? Contains(string? q)
    {
        if (string.IsNullOrEmpty(q))
        {
            return null;
        }

        if (q.Length > 200)
        {
            Errors["q"] = ["The search text must be at most 200 characters."];
            return null;
        }

        return "%" + q.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
    }

    public string? Status(string? status)
    {
        if (string.IsNullOrEmpty(status))
        {
            return null;
        }

        if (!StatusWord().IsMatch(status))
        {
            Errors["status"] = ["The status is active, inactive, or a 1Password account state such as suspended."];
            return null;
        }

        return status.ToLowerInvariant();
    }

    public bool OneOf(string name, string? value, IReadOnlyCollection<string> allowed)
    {
        if (value is null || allowed.Contains(value))
        {
            return true;
        }

        Errors[name] = [$"'{value}' is not one of: {string.Join(", ", allowed)}."];
        return false;
    }

    /// <summary>Reads a cursor this API wrote for the same list (its <paramref name="kind"/>) with <paramref name="parts"/> keys.</summary>
    public string[]? Cursor(string? cursor, string kind, int parts)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        try
        {
            var decoded = JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(cursor));
            // A key PostgreSQL could not compare (NUL: 22021) was never written by this API.
            if (decoded is { } keys && keys.Length == parts + 1 && keys[0] == kind
                && keys.All(k => k is not null && Hosting.StorableText.Problem(k) is null))
            {
                return keys[1..];
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        Errors["cursor"] = ["The cursor is not one this list gave out. Pass nextCursor from the previous page unchanged, with the same sort."];
        return null;
    }

    /// <summary>Reads a change-feed cursor: the event's instant and id, newest first.</summary>
    public (DateTimeOffset At, long Id)? ChangeCursor(string? cursor)
    {
        if (Cursor(cursor, "changes", 2) is not { } after)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(after[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at)
            && long.TryParse(after[1], CultureInfo.InvariantCulture, out var id))
        {
            return (at, id);
        }

        Errors["cursor"] = ["The cursor is not one this list gave out."];
        return null;
    }

    public static string EncodeCursor(string kind, params string[] keys) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes<string[]>([kind, .. keys]));

    [GeneratedRegex("^[A-Za-z_]{1,32}$")]
    private static partial Regex StatusWord();
}
