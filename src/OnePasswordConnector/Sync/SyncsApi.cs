using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

/// <summary>One sync run.</summary>
/// <param name="Trigger">manual or scheduled.</param>
/// <param name="Status">running, succeeded, failed, cancelled or abandoned.</param>
/// <param name="Error">Why a run failed, in words an admin can act on.</param>
/// <param name="WarningCount">How many data-quality warnings the run met (it still succeeded).</param>
/// <param name="Warnings">The first 100 warnings in full.</param>
public sealed record SyncRunResponse(
    Guid Id,
    Guid ConnectionId,
    string Trigger,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    SyncProgressResponse Progress,
    SyncCountsResponse Users,
    SyncCountsResponse Groups,
    SyncCountsResponse Memberships,
    int ChangeEvents,
    string? Error,
    int WarningCount,
    SyncWarning[] Warnings);

/// <summary>Pages and resources read so far.</summary>
public sealed record SyncProgressResponse(int PagesRead, int ResourcesRead);

/// <summary>Resources seen on the bridge and what the sync changed.</summary>
public sealed record SyncCountsResponse(int Seen, int Added, int Changed, int Removed);

/// <summary>The bridge's provisioning status as of the latest sync or probe.</summary>
public sealed record ProvisioningResponse(
    Guid ConnectionId,
    string ConnectionStatus,
    DateTimeOffset RecordedAt,
    Guid? SyncRunId,
    string Verdict,
    bool Reachable,
    bool? TokenAccepted,
    string? BridgeVersion,
    string? BridgeBuild,
    JsonElement? Health,
    JsonElement? ServiceProviderConfig,
    string[] PrivilegedGroupsExposed,
    string? Error,
    DateTimeOffset? LastSuccessfulSyncAt);

internal static class SyncsApi
{
    public static RouteGroupBuilder MapSyncsApi(this RouteGroupBuilder tenant)
    {
        var group = tenant.MapGroup("/connections/{connectionId:guid}").WithTags("Syncs");
        group.MapPost("/syncs", Start).WithName("StartSync").WithSummary("Start a sync now")
            .WithDescription("202 with the run's Location; 409 when a sync of this connection is already running.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/syncs", List).WithName("ListSyncs").WithSummary("List sync runs, newest first");
        group.MapGet("/syncs/{runId:guid}", Get).WithName("GetSync").WithSummary("One sync run, with progress while it runs");
        group.MapGet("/provisioning", Provisioning).WithName("GetProvisioningStatus")
            .WithSummary("The bridge's latest provisioning status: reachability, token, version, health, capabilities");
        return group;
    }

    internal static async Task<Results<Accepted<SyncRunResponse>, ProblemHttpResult>> Start(
        string tenantId, Guid connectionId, ConnectorDbContext db, SyncCoordinator coordinator, CancellationToken cancellationToken)
    {
        if (await ConnectionsApi.Find(db, tenantId, connectionId, tracking: false, cancellationToken) is null)
        {
            return ConnectionsApi.NotFound();
        }

        if (await coordinator.TryStartAsync(connectionId, SyncTrigger.Manual, cancellationToken) is not { } runId)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A sync is already running",
                detail: "A sync of this connection is already running. Follow it under .../syncs, or try again when it ends.");
        }

        var run = await db.SyncRuns.AsNoTracking().FirstAsync(r => r.Id == runId, cancellationToken);
        return TypedResults.Accepted($"/api/v1/tenants/{tenantId}/connections/{connectionId}/syncs/{runId}", ToResponse(run));
    }

    internal static async Task<Results<Ok<SyncRunResponse[]>, ProblemHttpResult>> List(
        string tenantId, Guid connectionId, ConnectorDbContext db, int? limit, CancellationToken cancellationToken)
    {
        if (await ConnectionsApi.Find(db, tenantId, connectionId, tracking: false, cancellationToken) is null)
        {
            return ConnectionsApi.NotFound();
        }

        var take = Math.Clamp(limit ?? 50, 1, 500);
        var runs = await db.SyncRuns.AsNoTracking().Where(r => r.ConnectionId == connectionId)
            .OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id).Take(take).ToListAsync(cancellationToken);
        return TypedResults.Ok(runs.Select(ToResponse).ToArray());
    }

    internal static async Task<Results<Ok<SyncRunResponse>, ProblemHttpResult>> Get(
        string tenantId, Guid connectionId, Guid runId, ConnectorDbContext db, CancellationToken cancellationToken)
    {
        var run = await db.SyncRuns.AsNoTracking()
            .Where(r => r.Id == runId && r.ConnectionId == connectionId && db.Connections.Any(c => c.Id == connectionId && c.TenantId == tenantId))
            .FirstOrDefaultAsync(cancellationToken);
        return run is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such sync run for this connection.")
            : TypedResults.Ok(ToResponse(run));
    }

    internal static async Task<Results<Ok<ProvisioningResponse>, ProblemHttpResult>> Provisioning(
        string tenantId, Guid connectionId, ConnectorDbContext db, CancellationToken cancellationToken)
    {
        if (await ConnectionsApi.Find(db, tenantId, connectionId, tracking: false, cancellationToken) is not { } connection)
        {
            return ConnectionsApi.NotFound();
        }

        var report = await db.ProvisioningReports.AsNoTracking().Where(p => p.ConnectionId == connectionId)
            .OrderByDescending(p => p.RecordedAt).FirstOrDefaultAsync(cancellationToken);
        if (report is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "No provisioning status yet: it is recorded by each sync. Start one with POST .../syncs.");
        }

        return TypedResults.Ok(new ProvisioningResponse(connectionId, connection.Status.ToString().ToLowerInvariant(), report.RecordedAt,
            report.SyncRunId, report.Verdict, report.Reachable, report.TokenAccepted, report.BridgeVersion, report.BridgeBuild,
            Json(report.HealthReports), Json(report.ServiceProviderConfig), report.PrivilegedGroups, report.Error,
            connection.LastSuccessfulSyncAt));
    }

    private static JsonElement? Json(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();

    internal static SyncRunResponse ToResponse(SyncRun r) => new(
        r.Id, r.ConnectionId, r.Trigger.ToString().ToLowerInvariant(), r.Status.ToString().ToLowerInvariant(), r.StartedAt, r.FinishedAt,
        new SyncProgressResponse(r.PagesRead, r.ResourcesRead),
        new SyncCountsResponse(r.UsersSeen, r.UsersAdded, r.UsersChanged, r.UsersRemoved),
        new SyncCountsResponse(r.GroupsSeen, r.GroupsAdded, r.GroupsChanged, r.GroupsRemoved),
        new SyncCountsResponse(r.MembershipsSeen, r.MembershipsAdded, 0, r.MembershipsRemoved),
        r.ChangeEvents, r.Error, r.WarningCount, SyncWarnings.FromJson(r.Warnings));
}
