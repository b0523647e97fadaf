using Microsoft.EntityFrameworkCore;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

internal sealed class ConnectionSyncs(SyncCoordinator coordinator) : IConnectionSyncs
{
    public async Task<IReadOnlyList<Guid>> RequestStopAsync(ConnectorDbContext db, Guid connectionId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var runs = db.SyncRuns.Where(r => r.ConnectionId == connectionId && r.Status == SyncRunStatus.Running);
        var running = await runs.Select(r => r.Id).ToListAsync(cancellationToken);
        await runs.Where(r => r.CancelRequestedAt == null).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.CancelRequestedAt, at)
            .SetProperty(r => r.CancelReason, SyncCoordinator.ConnectionDeletedReason), cancellationToken);
        return running;
    }

    public void StopLocally(IEnumerable<Guid> runIds)
    {
        foreach (var runId in runIds)
        {
            coordinator.CancelLocally(runId);
        }
    }

    public async Task PurgeDeletedAsync(Guid connectionId, CancellationToken cancellationToken) =>
        await coordinator.PurgeDeletedAsync(connectionId, cancellationToken);
}
