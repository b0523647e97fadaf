using Npgsql;

namespace OnePasswordConnector.Sync;

/// <summary>What the stored directory already holds: content hashes of current users and groups, read once per sync.</summary>
internal sealed class StoredDirectory
{
    public Dictionary<string, byte[]> Users { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (byte[] Content, byte[]? Members)> Groups { get; } = new(StringComparer.Ordinal);

    public static async Task<StoredDirectory> LoadAsync(NpgsqlConnection session, Guid connectionId, CancellationToken cancellationToken)
    {
        var stored = new StoredDirectory();
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
}
