using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// The review sheet as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line break,
/// quotes doubled; UTF-8 without BOM). Rows go to the response as the database returns them, so a sheet of any size
/// never sits in memory. One header row, nothing else: any CSV reader takes it as is.
/// </summary>
internal sealed class AccessReviewCsv(Func<NpgsqlConnection, NpgsqlCommand> query, DateTimeOffset? asOf) : IResult
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static readonly string[] Header =
        ["userId", "userName", "displayName", "primaryEmail", "emails", "status", "active", "firstSeenAt", "groupId", "groupName", "memberSince", "viaGroupIds", "viaGroupNames"];

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var cancellationToken = httpContext.RequestAborted;
        var data = httpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var command = query(connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var stamp = (asOf ?? DateTimeOffset.UtcNow).ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = ContentType;
        httpContext.Response.Headers.ContentDisposition =
            new ContentDispositionHeaderValue("attachment") { FileName = $"access-review-{stamp}.csv" }.ToString();

        // DisposeAsync flushes asynchronously: Kestrel refuses synchronous writes to the response body.
        await using var writer = new StreamWriter(httpContext.Response.Body, new UTF8Encoding(false), 64 * 1024) { NewLine = "\r\n" };
        await WriteLineAsync(writer, Header);
        var fields = new string?[Header.Length];
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = AccessReviewApi.ReadAccessReviewRow(reader);
            fields[0] = row.UserId;
            fields[1] = row.UserName;
            fields[2] = row.DisplayName;
            fields[3] = row.PrimaryEmail;
            fields[4] = string.Join(';', row.Emails);
            fields[5] = row.Status;
            fields[6] = row.Active ? "true" : "false";
            fields[7] = Instant(row.FirstSeenAt);
            fields[8] = row.GroupId;
            fields[9] = row.GroupName;
            fields[10] = row.MemberSince is { } since ? Instant(since) : null;
            fields[11] = string.Join(';', row.Via.Select(g => g.Id));
            fields[12] = string.Join(';', row.Via.Select(g => g.DisplayName));
            await WriteLineAsync(writer, fields);
        }
    }

    private static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static async Task WriteLineAsync(StreamWriter writer, string?[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                await writer.WriteAsync(',');
            }

            await writer.WriteAsync(Quote(fields[i]));
        }

        await writer.WriteLineAsync();
    }

    /// <summary>RFC 4180 §2: a field with a comma, quote or line break is quoted, its quotes doubled.</summary>
    internal static string Quote(string? field) =>
        field is null ? "" :
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field :
        "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
