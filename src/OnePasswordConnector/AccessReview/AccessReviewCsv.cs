using System.Globalization;
using CsvHelper.Configuration;
using Microsoft.Net.Http.Headers;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// The review sheet as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line break or
/// begin or end with a space, quotes doubled; UTF-8 without BOM). Rows go to the response as the database returns them,
/// each value taken from the reader and written as UTF-8 into the response's pipe (<see cref="SheetLines"/>), so a
/// sheet of any size never sits in memory. One header row, nothing else: any CSV reader takes it as is. With
/// <paramref name="formulaEscape"/> a cell that begins with =, +, -, @, a tab or a carriage return gets a leading ' (and
/// is quoted), so a spreadsheet shows it as text instead of evaluating it (OWASP CSV injection).
/// </summary>
internal sealed class AccessReviewCsv(Func<CancellationToken, Task<SheetRows>> sheet, DateTimeOffset? asOf, bool formulaEscape)
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
        await using var rows = await sheet(cancellationToken);
        var more = await rows.Reader.ReadAsync(cancellationToken);

        var stamp = (asOf ?? DateTimeOffset.UtcNow).ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = ContentType;
        httpContext.Response.Headers.ContentDisposition =
            new ContentDispositionHeaderValue("attachment") { FileName = $"access-review-{stamp}.csv" }.ToString();

        await using var csv = new SheetCsvWriter(httpContext.Response.BodyWriter, formulaEscape);
        await WriteHeaderAsync(csv);
        var lines = new SheetLines(rows.Reader, formulaEscape);
        for (; more; more = await rows.Reader.ReadAsync(cancellationToken))
        {
            lines.Write(csv);
            await csv.EndLineAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The dialect as CsvHelper writes it, for the evidence package's files. NewLine is left at its default (CRLF):
    /// setting it explicitly would make CsvHelper quote only fields holding that exact sequence, not a lone LF.
    /// </summary>
    public static CsvConfiguration Configuration(bool formulaEscape) => new(CultureInfo.InvariantCulture)
    {
        InjectionOptions = formulaEscape ? InjectionOptions.Escape : InjectionOptions.None,
    };

    /// <summary>A sheet written as text, line by line (tests, and anything that is not a response).</summary>
    public static SheetCsvWriter Writer(TextWriter writer, bool formulaEscape) => new(writer, formulaEscape);

    public static async Task WriteHeaderAsync(SheetCsvWriter csv)
    {
        foreach (var name in Header)
        {
            csv.Text(name);
        }

        await csv.EndLineAsync();
    }

    public static Task WriteRowAsync(SheetCsvWriter csv, AccessReviewRow row) => WriteRowAsync(csv, row, new SheetInstants());

    /// <summary>
    /// One sheet line from a row the API returns, in the cells <see cref="SheetLines"/> writes from the reader. A
    /// user's lines repeat their first-seen instant, and a sync stamps every membership it adds with its own start, so
    /// <paramref name="instants"/> formats each distinct instant once instead of once per line.
    /// </summary>
    public static async Task WriteRowAsync(SheetCsvWriter csv, AccessReviewRow row, SheetInstants instants)
    {
        csv.Text(row.UserId);
        csv.Text(row.UserName);
        csv.Text(row.DisplayName);
        csv.Text(row.PrimaryEmail);
        csv.Joined(row.Emails);
        csv.Text(row.Status);
        csv.Boolean(row.Active);
        csv.Instant(row.FirstSeenAt, instants.FirstSeen);
        csv.Text(row.GroupId);
        csv.Text(row.GroupName);
        if (row.MemberSince is { } since)
        {
            csv.Instant(since, instants.MemberSince);
        }
        else
        {
            csv.Text("");
        }

        csv.Joined(row.Via.Select(g => g.Id).ToArray());
        csv.Joined(row.Via.Select(g => g.DisplayName).ToArray());
        // Empty sign-in cells: the connection collects no sign-ins (or did not yet at asOf), not "never signed in".
        if (row.SignIns is { } signIns)
        {
            Instant(csv, signIns.LastSignInAt);
            Instant(csv, signIns.LastFailedSignInAt);
            csv.Text(signIns.LastFailedSignInCategory);
            csv.Number(signIns.SignInsLast30Days);
            csv.Number(signIns.MfaFailuresLast30Days);
            csv.Instant(signIns.SignInsKnownSince);
        }
        else
        {
            SheetLines.NoSignIns(csv);
        }

        await csv.EndLineAsync();
    }

    private static void Instant(SheetCsvWriter csv, DateTimeOffset? value)
    {
        if (value is { } instant)
        {
            csv.Instant(instant);
        }
        else
        {
            csv.Text("");
        }
    }
}

/// <summary>The instant columns of a sheet being written, each remembering its last instant and how it was written.</summary>
internal sealed class SheetInstants
{
    public SheetCsvWriter.LastInstant FirstSeen { get; } = new();

    public SheetCsvWriter.LastInstant MemberSince { get; } = new();
}
