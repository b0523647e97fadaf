using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Reviews;

namespace OnePasswordConnector.Evidence;

/// <summary>One file of a package, as bytes, with its data row count.</summary>
internal sealed record EvidenceFile(string Name, byte[] Content, int Rows);

/// <summary>
/// The data files of a package. Each depends only on the review's frozen population and its pinned run, and is written
/// the same way every time (fixed order, fixed formats, UTF-8 without BOM, CRLF rows), so one review always gives
/// byte-identical files.
/// </summary>
internal static class EvidenceFiles
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>One line per user; the sign-in columns are empty where the connection collected none by the pinned run.</summary>
    public static async Task<EvidenceFile> UsersAsync(IReadOnlyList<AccessReviewRow> sheet) =>
        await CsvAsync("users.csv",
            ["userId", "userName", "displayName", "primaryEmail", "emails", "status", "active", "firstSeenAt",
             "lastSignInAt", "lastFailedSignInAt", "lastFailedSignInCategory", "signInsLast30Days", "mfaFailuresLast30Days", "signInsKnownSince"],
            sheet.DistinctBy(r => r.UserId),
            (csv, r) => Fields(csv, r.UserId, r.UserName, r.DisplayName, r.PrimaryEmail, string.Join(';', r.Emails), r.Status, r.Active ? "true" : "false", Instant(r.FirstSeenAt),
                Instant(r.SignIns?.LastSignInAt), Instant(r.SignIns?.LastFailedSignInAt), r.SignIns?.LastFailedSignInCategory,
                r.SignIns?.SignInsLast30Days.ToString(CultureInfo.InvariantCulture), r.SignIns?.MfaFailuresLast30Days.ToString(CultureInfo.InvariantCulture),
                Instant(r.SignIns?.SignInsKnownSince)));

    /// <summary>A group's memberCount is the number of sheet lines that name it: known users, direct or nested, once each, as the API counts.</summary>
    public static async Task<EvidenceFile> GroupsAsync(IReadOnlyList<(string Id, string DisplayName, DateTimeOffset FirstSeenAt)> groups, IReadOnlyList<AccessReviewRow> sheet)
    {
        var members = sheet.Where(r => r.GroupId is not null).CountBy(r => r.GroupId!).ToDictionary(StringComparer.Ordinal);
        return await CsvAsync("groups.csv", ["groupId", "groupName", "memberCount", "firstSeenAt"], groups,
            (csv, g) => Fields(csv, g.Id, g.DisplayName, members.GetValueOrDefault(g.Id).ToString(CultureInfo.InvariantCulture), Instant(g.FirstSeenAt)));
    }

    public static async Task<EvidenceFile> MembershipsAsync(IReadOnlyList<AccessReviewRow> sheet) =>
        await CsvAsync("memberships.csv", ["userId", "userName", "groupId", "groupName", "memberSince", "viaGroupIds", "viaGroupNames"],
            sheet.Where(r => r.GroupId is not null),
            (csv, r) => Fields(csv, r.UserId, r.UserName, r.GroupId, r.GroupName, r.MemberSince is { } since ? Instant(since) : null,
                string.Join(';', r.Via.Select(v => v.Id)), string.Join(';', r.Via.Select(v => v.DisplayName))));

    public static async Task<EvidenceFile> ChangesAsync(IReadOnlyList<ReviewChange> changes) =>
        await CsvAsync("changes-since-last-review.csv", ["kind", "userId", "userName", "groupId", "groupName"], changes,
            (csv, c) => Fields(csv, c.Kind, c.UserId, c.UserName, c.GroupId, c.GroupName));

    public static EvidenceFile JsonFile<T>(string name, T value) =>
        new(name, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, Json).ReplaceLineEndings("\n") + "\n"), 1);

    /// <summary>Instants as the review sheet's CSV writes them: UTC, microseconds, Z.</summary>
    public static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString(SheetCsvWriter.InstantFormat, CultureInfo.InvariantCulture);

    private static string? Instant(DateTimeOffset? value) => value is { } instant ? Instant(instant) : null;

    private static async Task<EvidenceFile> CsvAsync<T>(string name, string[] header, IEnumerable<T> rows, Action<CsvWriter, T> write)
    {
        using var buffer = new MemoryStream();
        var count = 0;
        await using (var writer = new StreamWriter(buffer, new UTF8Encoding(false), 64 * 1024, leaveOpen: true))
        await using (var csv = new CsvWriter(writer, AccessReviewCsv.Configuration(formulaEscape: true)))
        {
            Fields(csv, header);
            await csv.NextRecordAsync();
            foreach (var row in rows)
            {
                write(csv, row);
                await csv.NextRecordAsync();
                count++;
            }
        }

        return new EvidenceFile(name, buffer.ToArray(), count);
    }

    private static void Fields(CsvWriter csv, params string?[] values)
    {
        foreach (var value in values)
        {
            csv.WriteField(value);
        }
    }
}
