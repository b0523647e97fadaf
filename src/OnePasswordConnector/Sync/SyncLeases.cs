using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

/// <summary>
/// The database side of the connection leases once taken: renewed while a sync runs and released at its end, runs of
/// a holder whose lease expired marked abandoned, and deleted connections that no lease holds any more purged.
/// </summary>
internal sealed class SyncLeases(NpgsqlDataSource db, IOptions<SyncOptions> options, TimeProvider time, ILogger<SyncLeases> logger)
{
    /// <summary>Marks runs abandoned whose holder's lease expired, and makes their connections due again.</summary>
    public async Task<int> AbandonExpiredAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(LeaseSql.AbandonExpired);
        command.Parameters.AddWithValue("t", PostgresTime.Microseconds(time.GetUtcNow()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var count = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            count++;
            logger.LogWarning("Abandoned sync {RunId} of connection {ConnectionId}: its replica's lease expired; the connection is due again",
                reader.GetGuid(0), reader.GetGuid(1));
        }

        return count;
    }

    /// <summary>
    /// Purges deleted connections that no sync holds (<paramref name="connectionId"/>, or every one when null) and
    /// returns how many went.
    /// </summary>
    public async Task<int> PurgeDeletedAsync(Guid? connectionId, CancellationToken cancellationToken)
    {
        await using var session = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '2s'", session, transaction))
        {
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var purge = new NpgsqlCommand(LeaseSql.PurgeDeleted, session, transaction);
        purge.Parameters.Add(new NpgsqlParameter("c", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)connectionId ?? DBNull.Value });
        purge.Parameters.AddWithValue("t", PostgresTime.Microseconds(time.GetUtcNow()));
        var purged = new List<(Guid, string)>();
        await using (var reader = await purge.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                purged.Add((reader.GetGuid(0), reader.GetString(1)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var (id, tenantId) in purged)
        {
            logger.LogInformation("Purged deleted connection {ConnectionId} of tenant {TenantId} and its synced data", id, tenantId);
        }

        return purged.Count;
    }

    public async Task PurgeAfterRunAsync(Guid connectionId)
    {
        try
        {
            await PurgeDeletedAsync(connectionId, CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not purge connection {ConnectionId} after its sync; the scheduler's sweep will: {Error}", connectionId, ex.Message);
        }
    }

    /// <summary>Renews the lease while the sync runs; if it was lost (another replica took over), the sync stops.</summary>
    public async Task RenewWhileRunningAsync(Guid connectionId, string owner, CancellationTokenSource lease)
    {
        var every = TimeSpan.FromSeconds(Math.Max(1, options.Value.LeaseSeconds / 3));
        try
        {
            while (!lease.IsCancellationRequested)
            {
                await Task.Delay(every, time, lease.Token);
                try
                {
                    await using var renew = db.CreateCommand(LeaseSql.RenewLease);
                    renew.Parameters.AddWithValue("expires", time.GetUtcNow().AddSeconds(options.Value.LeaseSeconds));
                    renew.Parameters.AddWithValue("c", connectionId);
                    renew.Parameters.AddWithValue("owner", owner);
                    if (await renew.ExecuteNonQueryAsync(lease.Token) == 0)
                    {
                        logger.LogWarning("Lost the lease on connection {ConnectionId}; stopping its sync", connectionId);
                        await lease.CancelAsync();
                    }
                }
                catch (NpgsqlException ex)
                {
                    // Keep trying: giving up would let the lease expire under a running sync and another replica
                    // start a second one.
                    logger.LogWarning("Could not renew the lease on connection {ConnectionId} this time: {Error}", connectionId, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task ReleaseAsync(Guid connectionId, string owner)
    {
        try
        {
            await using var release = db.CreateCommand(LeaseSql.ReleaseLease);
            release.Parameters.AddWithValue("c", connectionId);
            release.Parameters.AddWithValue("owner", owner);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not release the lease on connection {ConnectionId}; it expires on its own: {Error}", connectionId, ex.Message);
        }
    }
}
