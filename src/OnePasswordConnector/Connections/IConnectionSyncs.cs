using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Connections;

/// <summary>
/// What deleting a connection asks of the syncs that hold it. Sync implements it, so Connections need not know how
/// runs are recorded or stopped.
/// </summary>
internal interface IConnectionSyncs
{
    /// <summary>
    /// Inside the caller's transaction on <paramref name="db"/>, asks the connection's running syncs to stop, on whichever
    /// replica they run, and returns their run ids.
    /// </summary>
    Task<IReadOnlyList<Guid>> RequestStopAsync(ConnectorDbContext db, Guid connectionId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Stops at once those of <paramref name="runIds"/> that this replica runs; the others notice the request in the database.</summary>
    void StopLocally(IEnumerable<Guid> runIds);

    /// <summary>Purges the deleted connection's synced rows, if no sync holds them.</summary>
    Task PurgeDeletedAsync(Guid connectionId, CancellationToken cancellationToken);
}
