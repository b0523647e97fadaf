using Npgsql;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>Pages and resources a running sync has read, counted as the pager reads them.</summary>
internal sealed class SyncProgress : IEnumerationProgress
{
    private int pages;
    private int resources;

    public int Pages => Volatile.Read(ref pages);

    public int Resources => Volatile.Read(ref resources);

    public void PageRead(string resourceType, int count)
    {
        Interlocked.Increment(ref pages);
        Interlocked.Add(ref resources, count);
    }
}

/// <summary>
/// Records a running sync's progress every few seconds, so <c>GET .../syncs/{runId}</c> shows it while it runs. A failed
/// write is logged and ends the heartbeat, never the sync.
/// </summary>
internal sealed class SyncHeartbeat : IDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task beating;

    public SyncHeartbeat(
        NpgsqlDataSource db, Guid runId, SyncProgress progress, TimeSpan every, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        beating = BeatAsync(db, runId, progress, every, time, logger, stop.Token);
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await beating;
    }

    public void Dispose() => stop.Dispose();

    private static async Task BeatAsync(
        NpgsqlDataSource db, Guid runId, SyncProgress progress, TimeSpan every, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(every, time, cancellationToken);
                await using var command = db.CreateCommand(RunSql.Progress);
                command.Parameters.AddWithValue("r", runId);
                command.Parameters.AddWithValue("pages", progress.Pages);
                command.Parameters.AddWithValue("resources", progress.Resources);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not record the progress of sync {RunId}: {Error}", runId, ex.Message);
        }
    }
}
