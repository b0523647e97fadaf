using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Audit;

/// <summary>One entry of the audit trail.</summary>
/// <param name="KeyName">The name of the API key that made the call.</param>
/// <param name="Action">The endpoint's name: CreateConnection, UpdateConnection, RotateConnectionToken, DeleteConnection,
/// TestConnection, StartSync, CancelSync, CreateReview, DeleteReview, DownloadEvidence.</param>
/// <param name="Target">The path of what was acted on (for a creation, the new resource's path).</param>
/// <param name="Outcome">succeeded, refused (4xx) or failed (5xx).</param>
/// <param name="TraceId">The trace id of the call, as its response or problem showed it.</param>
public sealed record AuditEntryResponse(
    long Id, string TenantId, string KeyName, string Action, string Target, string Outcome, int Status, DateTimeOffset OccurredAt, string TraceId);

/// <summary>A page of the audit trail, newest first.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntryResponse> Items, string? NextCursor);

internal static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder tenant)
    {
        tenant.MapGet("/audit-log", List).WithTags("Audit").WithName("ListAuditLog")
            .WithSummary("The connector's audit trail for the tenant, newest first")
            .WithDescription("Every state-changing call and every evidence download. Append-only: no endpoint changes or deletes an entry.");
        return tenant;
    }

    /// <summary>The audit trail.</summary>
    /// <param name="action" example="DownloadEvidence">Only entries of this action (an endpoint name).</param>
    /// <param name="since" example="2026-06-01T00:00:00Z">Entries at or after this ISO 8601 instant.</param>
    /// <param name="until" example="2026-07-01T00:00:00Z">Entries before this ISO 8601 instant.</param>
    /// <param name="cursor" example="WyJhdWRpdCIsIjEwNDIiXQ">nextCursor of the previous page.</param>
    /// <param name="limit" example="100">Page size, 1 to 1000 (default 100).</param>
    internal static async Task<Results<Ok<AuditPage>, ValidationProblem>> List(
        string tenantId, string? action, string? since, string? until, string? cursor, int? limit, ConnectorDbContext db,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var from = Instant(errors, "since", since);
        var to = Instant(errors, "until", until);
        long? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            after = DecodeCursor(cursor);
            if (after is null)
            {
                errors["cursor"] = ["The cursor is not one this list gave out. Pass nextCursor from the previous page unchanged."];
            }
        }

        if (limit is < 1 or > 1000)
        {
            errors["limit"] = ["The limit must be between 1 and 1000."];
        }

        if (action is { Length: > 100 })
        {
            errors["action"] = ["The action is an endpoint name of at most 100 characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var take = limit ?? 100;
        // Ids grow with time, so newest first is id order, and the last id shown is the whole cursor.
        var entries = db.AuditLog.AsNoTracking().Where(a => a.TenantId == tenantId);
        entries = string.IsNullOrEmpty(action) ? entries : entries.Where(a => a.Action == action);
        entries = from is { } f ? entries.Where(a => a.OccurredAt >= f) : entries;
        entries = to is { } t ? entries.Where(a => a.OccurredAt < t) : entries;
        entries = after is { } last ? entries.Where(a => a.Id < last) : entries;
        var rows = await entries.OrderByDescending(a => a.Id).Take(take + 1).ToListAsync(cancellationToken);
        string? next = null;
        if (rows.Count > take)
        {
            rows.RemoveAt(take);
            next = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes<string[]>(["audit", rows[^1].Id.ToString(CultureInfo.InvariantCulture)]));
        }

        return TypedResults.Ok(new AuditPage(rows.ConvertAll(a => new AuditEntryResponse(
            a.Id, a.TenantId, a.KeyName, a.Action, a.Target, a.Outcome, a.Status, a.OccurredAt, a.TraceId)), next));
    }

    private static long? DecodeCursor(string cursor)
    {
        try
        {
            // Digits only: long.TryParse would let trailing NULs through.
            return JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(cursor)) is ["audit", { Length: > 0 and <= 18 } id]
                && id.All(char.IsAsciiDigit) && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    private static DateTimeOffset? Instant(Dictionary<string, string[]> errors, string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        errors[name] = [$"'{value}' is not an ISO 8601 timestamp such as 2026-06-30T23:59:59Z."];
        return null;
    }
}
