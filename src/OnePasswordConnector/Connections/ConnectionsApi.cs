using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Connections;

/// <summary>Register a bridge.</summary>
/// <param name="Name" example="Acme production">A label for people.</param>
/// <param name="ScimBridgeUrl" example="https://op-scim.example.org">The bridge URL as shown in 1Password. A URL with a path is used as the SCIM base.</param>
/// <param name="BearerToken">The bridge's bearer token. Checked against the bridge, stored encrypted, never shown again.</param>
/// <param name="SyncIntervalMinutes" example="1440">Minutes between automatic syncs (15 to 43200), counted from the end of the last sync, plus up to 5 % jitter so that connections registered together do not sync together. Default 1440 (a day).</param>
public sealed record CreateConnectionRequest(
    [property: Required(AllowEmptyStrings = true, ErrorMessage = ConnectionNameAttribute.Message), ConnectionName] string? Name,
    [property: Required(AllowEmptyStrings = true, ErrorMessage = BridgeUrl.Required), BridgeUrlRule] string? ScimBridgeUrl,
    [property: Required(AllowEmptyStrings = true, ErrorMessage = BearerTokenAttribute.Message), BearerToken] string? BearerToken,
    [property: SyncInterval] int? SyncIntervalMinutes);

/// <summary>Change a connection's settings. Omitted fields stay as they are.</summary>
/// <param name="Name" example="Acme production (EU)">A new label.</param>
/// <param name="SyncIntervalMinutes" example="720">Minutes between automatic syncs (15 to 43200), counted from the end of the last sync, plus up to 5 % jitter; the next sync is rescheduled.</param>
/// <param name="Enabled" example="true">False pauses automatic syncs.</param>
public sealed record UpdateConnectionRequest([property: ConnectionName] string? Name, [property: SyncInterval] int? SyncIntervalMinutes, bool? Enabled);

/// <summary>Replace the bearer token. The new token is probed against the bridge first.</summary>
/// <param name="BearerToken">The new token.</param>
public sealed record RotateTokenRequest(
    [property: Required(AllowEmptyStrings = true, ErrorMessage = BearerTokenAttribute.Message), BearerToken] string? BearerToken);

/// <summary>A registered bridge. The token itself is never shown: only its last four characters.</summary>
public sealed record ConnectionResponse(
    Guid Id,
    string TenantId,
    string Name,
    string ScimBridgeUrl,
    string TokenHint,
    int SyncIntervalMinutes,
    bool Enabled,
    ConnectionStatus Status,
    string? LastError,
    string? BridgeVersion,
    DateTimeOffset? NextSyncAt,
    LastSyncSummary? LastSync,
    DateTimeOffset? LastSuccessfulSyncAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>The outcome of the connection's latest sync.</summary>
public sealed record LastSyncSummary(Guid RunId, SyncRunStatus Status, DateTimeOffset? FinishedAt);

/// <summary>What probing the bridge found now.</summary>
/// <param name="Succeeded">True when the bridge answered like a SCIM server and accepted the token.</param>
/// <param name="Failure">unreachable, timeout, unauthorized, not_scim, google_workspace_mode, blocked_address, ... when it did not.</param>
public sealed record ConnectionTestResponse(
    bool Succeeded,
    string? Failure,
    string? Detail,
    long LatencyMs,
    string? ScimBridgeUrl,
    string? BridgeVersion,
    int? TotalUsers,
    DateTimeOffset TestedAt);

internal static class ConnectionsApi
{
    public const int DefaultSyncIntervalMinutes = 1440;

    /// <summary>
    /// Maps the tenant's connections and one connection's own routes; returns the <c>/connections/{connectionId}</c>
    /// group (<see cref="ConnectionRoutes"/>), on which the features about one connection map theirs.
    /// </summary>
    public static RouteGroupBuilder MapConnectionsApi(this RouteGroupBuilder tenant)
    {
        var group = tenant.MapGroup("/connections").WithTags("Connections").ValidateBodies();
        group.MapPost("/", Create).WithName("CreateConnection")
            .WithSummary("Register a 1Password SCIM Bridge")
            .WithDescription("Probes the bridge with the token (ServiceProviderConfig and a one-item /Users page) before storing anything. 422 says exactly what failed.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", List).WithName("ListConnections").WithSummary("List the tenant's connections");

        var connection = tenant.MapConnectionGroup();
        // On the inner group, so that the connection's lookup answers 404 before its body is validated.
        var one = connection.MapGroup("").WithTags("Connections").ValidateBodies();
        one.MapGet("", Get).WithName("GetConnection").WithSummary("Get one connection");
        one.MapPatch("", Update).WithName("UpdateConnection").WithSummary("Rename, reschedule, enable or disable a connection")
            .ProducesValidationProblem();
        one.MapPut("/token", RotateToken).WithName("RotateConnectionToken")
            .WithSummary("Rotate the bearer token").WithDescription("The new token is probed against the bridge before it replaces the old one.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        one.MapPost("/test", Test).WithName("TestConnection").WithSummary("Probe the bridge now");
        one.MapDelete("", Delete).WithName("DeleteConnection")
            .WithSummary("Delete a connection and every row synced for it")
            .WithDescription("The connection is gone from the API at once and a running sync of it stops within seconds; "
                + "its synced rows are purged as soon as no sync holds them.");
        return connection;
    }

    internal static async Task<Results<Created<ConnectionResponse>, ValidationProblem, ProblemHttpResult>> Create(
        string tenantId, CreateConnectionRequest request, ConnectorDbContext db, [AsParameters] BridgeCheck check,
        CancellationToken cancellationToken)
    {
        // The validation filter checked the URL already; only a policy reloaded since then gets this far with a bad one.
        if (!BridgeUrl.TryParse(request.ScimBridgeUrl, check.Policy.CurrentValue, out var url, out var urlError))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["scimBridgeUrl"] = [urlError!] });
        }

        var result = await check.Probe.ProbeAsync(url!, request.BearerToken!, cancellationToken);
        if (!result.Succeeded)
        {
            return ProbeFailed(result);
        }

        var now = check.Time.GetUtcNow();
        var connection = new Connection
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = request.Name!.Trim(),
            ScimBaseUrl = result.ScimBase!.AbsoluteUri.TrimEnd('/'),
            ProtectedToken = check.Tokens.Protect(request.BearerToken!),
            TokenHint = TokenProtector.Hint(request.BearerToken!),
            SyncIntervalMinutes = request.SyncIntervalMinutes ?? DefaultSyncIntervalMinutes,
            BridgeVersion = result.BridgeVersion,
            NextSyncAt = now,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Connections.Add(connection);
        await db.SaveChangesAsync(cancellationToken);
        check.Logger.LogInformation("Registered connection {ConnectionId} for tenant {TenantId} at {ScimBase}", connection.Id, tenantId, connection.ScimBaseUrl);
        return TypedResults.Created($"/api/v1/tenants/{tenantId}/connections/{connection.Id}", ToResponse(connection));
    }

    internal static async Task<Ok<ConnectionResponse[]>> List(string tenantId, ConnectorDbContext db, CancellationToken cancellationToken)
    {
        var connections = await db.Connections.AsNoTracking().Where(c => c.TenantId == tenantId)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(connections.Select(ToResponse).ToArray());
    }

    internal static Ok<ConnectionResponse> Get(Guid connectionId, RouteConnection route) => TypedResults.Ok(ToResponse(route.Value));

    internal static async Task<Results<Ok<ConnectionResponse>, ProblemHttpResult>> Update(
        Guid connectionId, RouteConnection route, UpdateConnectionRequest request, ConnectorDbContext db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var connection = route.Value;
        db.Attach(connection);

        var now = time.GetUtcNow();
        if (request.Name is not null)
        {
            connection.Name = request.Name.Trim();
        }

        if (request.SyncIntervalMinutes is { } interval && interval != connection.SyncIntervalMinutes)
        {
            connection.SyncIntervalMinutes = interval;
            connection.NextSyncAt = connection.NextDue(now);
        }

        if (request.Enabled is { } enabled && enabled != connection.Enabled)
        {
            connection.Enabled = enabled;
            if (enabled)
            {
                connection.NextSyncAt = connection.NextDue(now);
            }
        }

        connection.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ToResponse(connection));
    }

    internal static async Task<Results<Ok<ConnectionResponse>, ProblemHttpResult>> RotateToken(
        Guid connectionId, RouteConnection route, RotateTokenRequest request, ConnectorDbContext db, [AsParameters] BridgeCheck check,
        CancellationToken cancellationToken)
    {
        var connection = route.Value;
        db.Attach(connection);

        var result = await check.Probe.ProbeAsync(StoredUrl(connection), request.BearerToken!, cancellationToken);
        if (!result.Succeeded)
        {
            return ProbeFailed(result);
        }

        var now = check.Time.GetUtcNow();
        connection.ProtectedToken = check.Tokens.Protect(request.BearerToken!);
        connection.TokenHint = TokenProtector.Hint(request.BearerToken!);
        connection.BridgeVersion = result.BridgeVersion ?? connection.BridgeVersion;
        Resume(connection, now);
        connection.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        check.Logger.LogInformation("Rotated the bearer token of connection {ConnectionId}", connection.Id);
        return TypedResults.Ok(ToResponse(connection));
    }

    internal static async Task<Results<Ok<ConnectionTestResponse>, ProblemHttpResult>> Test(
        Guid connectionId, RouteConnection route, ConnectorDbContext db, [AsParameters] BridgeCheck check, CancellationToken cancellationToken)
    {
        var connection = route.Value;
        db.Attach(connection);

        var result = await check.Probe.ProbeAsync(StoredUrl(connection), check.Tokens.Unprotect(connection.ProtectedToken), cancellationToken);
        var now = check.Time.GetUtcNow();
        if (result.Succeeded)
        {
            connection.BridgeVersion = result.BridgeVersion ?? connection.BridgeVersion;
            Resume(connection, now);
        }
        else if (result.Failure == BridgeFailure.Unauthorized)
        {
            connection.Status = ConnectionStatus.Unauthorized;
            connection.LastError = result.Detail;
        }

        connection.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new ConnectionTestResponse(result.Succeeded, BridgeFailures.Code(result.Failure), result.Detail,
            result.LatencyMs, result.ScimBase?.AbsoluteUri.TrimEnd('/'), result.BridgeVersion, result.TotalUsers, now));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string tenantId, Guid connectionId, ConnectorDbContext db, IConnectionSyncs syncs, TimeProvider time,
        ILogger<Connection> logger, CancellationToken cancellationToken)
    {
        // Mark, do not cascade: a running sync's open transaction holds key locks on the connection row, which a DELETE
        // would wait for and an update of non-key columns does not. The rows are purged here when no sync holds them,
        // else by the replica whose sync stops, else by the scheduler's sweep.
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        IReadOnlyList<Guid> running;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var deleted = await db.Connections.Where(c => c.TenantId == tenantId && c.Id == connectionId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.DeletedAt, now).SetProperty(c => c.UpdatedAt, now), cancellationToken);
            if (deleted == 0)
            {
                return ConnectionRoutes.NotFound();
            }

            running = await syncs.RequestStopAsync(db, connectionId, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        syncs.StopLocally(running);
        if (running.Count > 0)
        {
            logger.LogInformation("Deleted connection {ConnectionId} of tenant {TenantId}; its running sync {RunIds} was asked to stop and its rows go when it has",
                connectionId, tenantId, running);
            return TypedResults.NoContent();
        }

        logger.LogInformation("Deleted connection {ConnectionId} of tenant {TenantId}", connectionId, tenantId);
        try
        {
            await syncs.PurgeDeletedAsync(connectionId, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not purge deleted connection {ConnectionId} now; the scheduler's sweep will: {Error}", connectionId, ex.Message);
        }

        return TypedResults.NoContent();
    }

    /// <summary>A token that works again, after a rotation or a passing test, takes the connection back into the schedule.</summary>
    private static void Resume(Connection connection, DateTimeOffset now)
    {
        if (connection.Status is ConnectionStatus.Unauthorized)
        {
            connection.Status = connection.LastSuccessfulSyncAt is null ? ConnectionStatus.Pending : ConnectionStatus.Failing;
            connection.LastError = null;
            connection.ConsecutiveFailures = 0;
            connection.NextSyncAt = now;
        }
    }

    private static BridgeUrl StoredUrl(Connection connection)
    {
        // The stored URL is the discovered SCIM base, so it is used as given; the policy is checked again on connect.
        var uri = new Uri(connection.ScimBaseUrl);
        return new BridgeUrl(new Uri(uri.GetLeftPart(UriPartial.Authority)), uri);
    }

    private static ProblemHttpResult ProbeFailed(ProbeResult result) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "The bridge check failed",
            detail: result.Detail,
            extensions: new Dictionary<string, object?> { ["failure"] = BridgeFailures.Code(result.Failure), ["latencyMs"] = result.LatencyMs });

    internal static ConnectionResponse ToResponse(Connection c) => new(
        c.Id, c.TenantId, c.Name, c.ScimBaseUrl, c.TokenHint, c.SyncIntervalMinutes, c.Enabled,
        c.Status, c.LastError, c.BridgeVersion, c.Enabled && c.Status != ConnectionStatus.Unauthorized ? c.NextSyncAt : null,
        c.LastSyncRunId is { } runId ? new LastSyncSummary(runId, c.LastSyncStatus ?? SyncRunStatus.Running, c.LastSyncFinishedAt) : null,
        c.LastSuccessfulSyncAt, c.CreatedAt, c.UpdatedAt);
}
