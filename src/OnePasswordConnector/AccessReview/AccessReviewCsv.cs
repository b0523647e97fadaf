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
        for (; more; more = await rows.MoveNextAsync())
        {
            await WriteRowAsync(csv, rows.Current);
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

    public static async Task WriteRowAsync(CsvWriter csv, AccessReviewRow row)
    {
        csv.WriteField(row.UserId);
        csv.WriteField(row.UserName);
        csv.WriteField(row.DisplayName);
        csv.WriteField(row.PrimaryEmail);
        csv.WriteField(string.Join(';', row.Emails));
        csv.WriteField(row.Status);
        csv.WriteField(row.Active ? "true" : "false");
        csv.WriteField(Instant(row.FirstSeenAt));
        csv.WriteField(row.GroupId);
        csv.WriteField(row.GroupName);
        csv.WriteField(row.MemberSince is { } since ? Instant(since) : null);
        csv.WriteField(string.Join(';', row.Via.Select(g => g.Id)));
        csv.WriteField(string.Join(';', row.Via.Select(g => g.DisplayName)));
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

    private static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
