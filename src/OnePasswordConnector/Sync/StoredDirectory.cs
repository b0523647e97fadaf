using Npgsql;

namespace OnePasswordConnector.Sync;

/// <summary>What the stored directory already holds: content hashes of current users and groups, read once per sync.</summary>
internal sealed class StoredDirectory
{
    public Dictionary<string, byte[]> Users { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (byte[] Content, byte[]? Members)> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>The connection whose directory this is; null for a baseline, which has none stored.</summary>
    public Guid? ConnectionId { get; private init; }

    public static async Task<StoredDirectory> LoadAsync(NpgsqlConnection session, Guid connectionId, CancellationToken cancellationToken)
    {
        var stored = new StoredDirectory { ConnectionId = connectionId };
        await using (var users = new NpgsqlCommand(
            "SELECT scim_id, content_hash FROM directory_users WHERE connection_id = @c AND removed_at IS NULL", session))
        {
            users.Parameters.AddWithValue("c", connectionId);
            await using var reader = await users.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Users[reader.GetString(0)] = reader.GetFieldValue<byte[]>(1);
            }
        }

        await using (var groups = new NpgsqlCommand(
            "SELECT scim_id, content_hash, members_hash FROM directory_groups WHERE connection_id = @c AND removed_at IS NULL", session))
        {
            groups.Parameters.AddWithValue("c", connectionId);
            await using var reader = await groups.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Groups[reader.GetString(0)] = (reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2));
            }
        }

        return stored;
    }

    /// <summary>
    /// Puts back the stored users among <paramref name="ids"/>, which the sync took out of <see cref="Users"/> as it
    /// staged them; returns how many were stored.
    /// </summary>
    public async Task<int> RestoreUsersAsync(NpgsqlConnection session, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ConnectionId is not { } connectionId || ids.Count == 0)
        {
            return 0;
        }

        await using var users = new NpgsqlCommand(
            "SELECT scim_id, content_hash FROM directory_users WHERE connection_id = @c AND removed_at IS NULL AND scim_id = ANY(@ids)", session);
        users.Parameters.AddWithValue("c", connectionId);
        users.Parameters.AddWithValue("ids", ids.ToArray());
        await using var reader = await users.ExecuteReaderAsync(cancellationToken);
        var restored = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            Users[reader.GetString(0)] = reader.GetFieldValue<byte[]>(1);
            restored++;
        }

        return restored;
    }
}
