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
/// <param name="Completeness">What the run proves about the population it read; null while it runs, and for a run that
/// ended before it could read its connection.</param>
public sealed record SyncRunResponse(
    Guid Id,
    Guid ConnectionId,
    SyncTrigger Trigger,
    SyncRunStatus Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    SyncProgressResponse Progress,
    SyncCountsResponse Users,
    SyncCountsResponse Groups,
    SyncCountsResponse Memberships,
    int ChangeEvents,
    string? Error,
    int WarningCount,
    SyncWarning[] Warnings,
    SyncCompleteness? Completeness);

/// <summary>Pages and resources read so far.</summary>
public sealed record SyncProgressResponse(int PagesRead, int ResourcesRead);

/// <summary>Resources seen on the bridge and what the sync changed.</summary>
public sealed record SyncCountsResponse(int Seen, int Added, int Changed, int Removed);

/// <summary>The bridge's provisioning status as of the latest sync or probe.</summary>
public sealed record ProvisioningResponse(
    Guid ConnectionId,
    ConnectionStatus ConnectionStatus,
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
    private const int DefaultLimit = 50;
    private const int MaxLimit = 1000;

    public static RouteGroupBuilder MapSyncsApi(this RouteGroupBuilder connection)
    {
        var group = connection.MapGroup("").WithTags("Syncs");
        group.MapPost("/syncs", Start).WithName("StartSync").WithSummary("Start a sync now")
            .WithDescription("202 with the run's Location; 409 when a sync of this connection is already running, with that run's id (runId) and Location.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/syncs", List).WithName("ListSyncs").WithSummary("List sync runs, newest first")
            .WithDescription($"400 when limit is outside 1 to {MaxLimit}.");
        group.MapGet("/syncs/{runId:guid}", Get).WithName("GetSync").WithSummary("One sync run, with progress while it runs");
        group.MapPost("/syncs/{runId:guid}/cancel", Cancel).WithName("CancelSync").WithSummary("Stop a running sync")
            .WithDescription("202 with the run: it stops within seconds, on whichever replica runs it, and ends cancelled with the "
                + "stored directory as it was before it. 409 when the run has already ended.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/provisioning", Provisioning).WithName("GetProvisioningStatus")
            .WithSummary("The bridge's latest provisioning status: reachability, token, version, health, capabilities");
        return group;
    }

    internal static async Task<Results<Accepted<SyncRunResponse>, ProblemHttpResult>> Start(
        string tenantId, Guid connectionId, ConnectorDbContext db, SyncCoordinator coordinator, HttpContext httpContext,
        CancellationToken cancellationToken)
    {
        if (await coordinator.TryStartAsync(connectionId, SyncTrigger.Manual, cancellationToken) is not { } runId)
        {
            // A run is opened in the transaction that takes the lease, so the lease holder's run is the running one; if it
            // ended a moment ago, its newest run is the one that was in the way.
            var holder = await db.SyncRuns.AsNoTracking().Where(r => r.ConnectionId == connectionId)
                .OrderByDescending(r => r.Status == SyncRunStatus.Running).ThenByDescending(r => r.StartedAt).ThenByDescending(r => r.Id)
                .Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
            if (holder is { } running)
            {
                httpContext.Response.Headers.Location = $"/api/v1/tenants/{tenantId}/connections/{connectionId}/syncs/{running}";
            }

            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A sync is already running",
                detail: "A sync of this connection is already running: follow it at the Location given, or try again when it ends.",
                extensions: holder is { } id ? new Dictionary<string, object?> { ["runId"] = id } : null);
        }

        var run = await db.SyncRuns.AsNoTracking().FirstAsync(r => r.Id == runId, cancellationToken);
        return TypedResults.Accepted($"/api/v1/tenants/{tenantId}/connections/{connectionId}/syncs/{runId}", ToResponse(run));
    }

    /// <summary>List sync runs, newest first</summary>
    /// <param name="limit" example="50">How many runs, newest first: 1 to 1000 (default 50).</param>
    internal static async Task<Results<Ok<SyncRunResponse[]>, ValidationProblem, ProblemHttpResult>> List(
        Guid connectionId, ConnectorDbContext db, int? limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"The limit must be between 1 and {MaxLimit}."] });
        }

        var take = limit ?? DefaultLimit;
        var runs = await db.SyncRuns.AsNoTracking().Where(r => r.ConnectionId == connectionId)
            .OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id).Take(take).ToListAsync(cancellationToken);
        return TypedResults.Ok(runs.Select(ToResponse).ToArray());
    }

    internal static async Task<Results<Ok<SyncRunResponse>, ProblemHttpResult>> Get(
        Guid connectionId, Guid runId, ConnectorDbContext db, CancellationToken cancellationToken)
    {
        var run = await db.SyncRuns.AsNoTracking()
            .FirstOrDefaultAsync(r => r.Id == runId && r.ConnectionId == connectionId, cancellationToken);
        return run is null ? RunNotFound() : TypedResults.Ok(ToResponse(run));
    }

    private static ProblemHttpResult RunNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such sync run for this connection.");

    internal static async Task<Results<Accepted<SyncRunResponse>, ProblemHttpResult>> Cancel(
        string tenantId, Guid connectionId, Guid runId, ConnectorDbContext db, SyncCoordinator coordinator, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var runs = db.SyncRuns.Where(r => r.Id == runId && r.ConnectionId == connectionId);
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        var requested = await runs.Where(r => r.Status == SyncRunStatus.Running && r.CancelRequestedAt == null).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.CancelRequestedAt, now)
            .SetProperty(r => r.CancelReason, SyncCoordinator.CancelledByAdministratorReason), cancellationToken);
        if (await runs.AsNoTracking().FirstOrDefaultAsync(cancellationToken) is not { } run)
        {
            return RunNotFound();
        }

        if (run.Status != SyncRunStatus.Running)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The sync has already ended",
                detail: $"This sync run ended {run.Status.ToString().ToLowerInvariant()}; only a running sync can be cancelled.");
        }

        if (requested > 0)
        {
            coordinator.CancelLocally(runId);
        }

        return TypedResults.Accepted($"/api/v1/tenants/{tenantId}/connections/{connectionId}/syncs/{runId}", ToResponse(run));
    }

    internal static async Task<Results<Ok<ProvisioningResponse>, ProblemHttpResult>> Provisioning(
        Guid connectionId, RouteConnection route, ConnectorDbContext db, CancellationToken cancellationToken)
    {
        var connection = route.Value;
        var report = await db.ProvisioningReports.AsNoTracking().Where(p => p.ConnectionId == connectionId)
            .OrderByDescending(p => p.RecordedAt).FirstOrDefaultAsync(cancellationToken);
        if (report is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "No provisioning status yet: it is recorded by each sync. Start one with POST .../syncs.");
        }

        return TypedResults.Ok(new ProvisioningResponse(connectionId, connection.Status, report.RecordedAt,
            report.SyncRunId, report.Verdict, report.Reachable, report.TokenAccepted, report.BridgeVersion, report.BridgeBuild,
            Json(report.HealthReports), Json(report.ServiceProviderConfig), report.PrivilegedGroups, report.Error,
            connection.LastSuccessfulSyncAt));
    }

    private static JsonElement? Json(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();

    internal static SyncRunResponse ToResponse(SyncRun r) => new(
        r.Id, r.ConnectionId, r.Trigger, r.Status, r.StartedAt, r.FinishedAt,
        new SyncProgressResponse(r.PagesRead, r.ResourcesRead),
        new SyncCountsResponse(r.Counts.UsersSeen, r.Counts.UsersAdded, r.Counts.UsersChanged, r.Counts.UsersRemoved),
        new SyncCountsResponse(r.Counts.GroupsSeen, r.Counts.GroupsAdded, r.Counts.GroupsChanged, r.Counts.GroupsRemoved),
        new SyncCountsResponse(r.Counts.MembershipsSeen, r.Counts.MembershipsAdded, 0, r.Counts.MembershipsRemoved),
        r.Counts.ChangeEvents, r.Error, r.WarningCount, SyncWarnings.FromJson(r.Warnings), CompletenessRecord.FromJson(r.Completeness));
}
