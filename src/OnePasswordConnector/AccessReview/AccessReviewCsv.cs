using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using Microsoft.Net.Http.Headers;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// The review sheet as CSV, written by CsvHelper (RFC 4180: CRLF line ends, fields quoted when they hold a comma,
/// quote or line break or begin or end with a space, quotes doubled; UTF-8 without BOM). Rows go to the response as the
/// database returns them, so a sheet of any size never sits in memory. One header row, nothing else: any CSV reader
/// takes it as is. With <paramref name="formulaEscape"/> a cell that begins with =, +, -, @, a tab or a carriage return
/// gets a leading ' (and is quoted), so a spreadsheet shows it as text instead of evaluating it (OWASP CSV injection).
/// </summary>
internal sealed class AccessReviewCsv(Func<CancellationToken, IAsyncEnumerable<AccessReviewRow>> sheet, DateTimeOffset? asOf, bool formulaEscape)
    : IResult
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static readonly string[] Header =
    [
        "userId", "userName", "displayName", "primaryEmail", "emails", "status", "active", "firstSeenAt", "groupId", "groupName", "memberSince",
        "viaGroupIds", "viaGroupNames", "lastSignInAt", "lastFailedSignInAt", "lastFailedSignInCategory", "signInsLast30Days",
        "mfaFailuresLast30Days", "signInsKnownSince",
    ];

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var cancellationToken = httpContext.RequestAborted;
        // The query runs (and its first row is read) before the status and headers are set.
        await using var rows = sheet(cancellationToken).GetAsyncEnumerator(cancellationToken);
        var more = await rows.MoveNextAsync();

        var stamp = (asOf ?? DateTimeOffset.UtcNow).ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = ContentType;
        httpContext.Response.Headers.ContentDisposition =
            new ContentDispositionHeaderValue("attachment") { FileName = $"access-review-{stamp}.csv" }.ToString();

        // CsvHelper hands each record to the writer with WriteAsync, and DisposeAsync flushes asynchronously: Kestrel
        // refuses synchronous writes to the response body.
        await using var writer = new StreamWriter(httpContext.Response.Body, new UTF8Encoding(false), 64 * 1024);
        await using var csv = Writer(writer, formulaEscape);
        await WriteHeaderAsync(csv);
        var instants = new SheetInstants();
        for (; more; more = await rows.MoveNextAsync())
        {
            await WriteRowAsync(csv, rows.Current, instants);
        }
    }

    /// <summary>
    /// NewLine is left at its default (CRLF): setting it explicitly would make CsvHelper quote only fields holding that
    /// exact sequence, not a lone LF.
    /// </summary>
    public static CsvWriter Writer(TextWriter writer, bool formulaEscape) => new(writer, new CsvConfiguration(CultureInfo.InvariantCulture)
    {
        InjectionOptions = formulaEscape ? InjectionOptions.Escape : InjectionOptions.None,
    });

    public static async Task WriteHeaderAsync(CsvWriter csv)
    {
        foreach (var name in Header)
        {
            csv.WriteField(name);
        }

        await csv.NextRecordAsync();
    }

    public static Task WriteRowAsync(CsvWriter csv, AccessReviewRow row) => WriteRowAsync(csv, row, new SheetInstants());

    /// <summary>
    /// One sheet line. A user's lines repeat their first-seen instant, and a sync stamps every membership it adds with
    /// its own start, so <paramref name="instants"/> formats each distinct instant once instead of once per line.
    /// </summary>
    public static async Task WriteRowAsync(CsvWriter csv, AccessReviewRow row, SheetInstants instants)
    {
        csv.WriteField(row.UserId);
        csv.WriteField(row.UserName);
        csv.WriteField(row.DisplayName);
        csv.WriteField(row.PrimaryEmail);
        csv.WriteField(row.Emails.Length == 1 ? row.Emails[0] : string.Join(';', row.Emails));
        csv.WriteField(row.Status);
        csv.WriteField(row.Active ? "true" : "false");
        csv.WriteField(instants.FirstSeen.Text(row.FirstSeenAt));
        csv.WriteField(row.GroupId);
        csv.WriteField(row.GroupName);
        csv.WriteField(row.MemberSince is { } since ? instants.MemberSince.Text(since) : null);
        csv.WriteField(row.Via.Count == 0 ? "" : string.Join(';', row.Via.Select(g => g.Id)));
        csv.WriteField(row.Via.Count == 0 ? "" : string.Join(';', row.Via.Select(g => g.DisplayName)));
        // Empty sign-in cells: the connection collects no sign-ins (or did not yet at asOf), not "never signed in".
        var signIns = row.SignIns;
        csv.WriteField(signIns?.LastSignInAt is { } lastSignIn ? Instant(lastSignIn) : null);
        csv.WriteField(signIns?.LastFailedSignInAt is { } lastFailed ? Instant(lastFailed) : null);
        csv.WriteField(signIns?.LastFailedSignInCategory);
        csv.WriteField(signIns?.SignInsLast30Days.ToString(CultureInfo.InvariantCulture));
        csv.WriteField(signIns?.MfaFailuresLast30Days.ToString(CultureInfo.InvariantCulture));
        csv.WriteField(signIns is null ? null : Instant(signIns.SignInsKnownSince));
        await csv.NextRecordAsync();
    }

    internal static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The instant columns of a sheet being written, each remembering its last instant and how it was written.</summary>
internal sealed class SheetInstants
{
    public LastInstant FirstSeen { get; } = new();

    public LastInstant MemberSince { get; } = new();

    internal sealed class LastInstant
    {
        private DateTimeOffset last;
        private string? text;

        public string Text(DateTimeOffset value)
        {
            if (text is null || value != last || value.Offset != last.Offset)
            {
                (last, text) = (value, AccessReviewCsv.Instant(value));
            }

            return text;
        }
    }
}
