using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// A group's row as the sync COPYs it. A staged group also says whether its members were restaged; a baseline row
/// instead carries the baseline's instants.
/// </summary>
internal static class GroupRows
{
    public const string Stage = """
        COPY stage_groups (scim_id, display_name, external_id, scim_created_at, scim_last_modified_at, raw, content_hash, members_hash,
            members_restaged) FROM STDIN (FORMAT BINARY)
        """;

    public const string Baseline = """
        COPY directory_groups (connection_id, scim_id, display_name, external_id, scim_created_at, scim_last_modified_at, raw, content_hash,
            members_hash, valid_from, first_seen_at, last_seen_at) FROM STDIN (FORMAT BINARY)
        """;

    public static string Copy(StageTarget target) => target.IsBaseline ? Baseline : Stage;

    public static async Task WriteAsync(
        NpgsqlBinaryImporter writer, StageTarget target, ScimGroup group, byte[]? membersHash, bool restaged, CancellationToken cancellationToken)
    {
        await target.StartRowAsync(writer, cancellationToken);
        await writer.WriteAsync(group.Id, NpgsqlDbType.Text, cancellationToken);
        await writer.WriteAsync(group.DisplayName, NpgsqlDbType.Text, cancellationToken);
        await writer.WriteNullableAsync(group.ExternalId, cancellationToken);
        await writer.WriteResourceAsync(group.Created, group.LastModified, group.Raw, group.Hash, cancellationToken);
        if (membersHash is null)
        {
            await writer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await writer.WriteAsync(membersHash, NpgsqlDbType.Bytea, cancellationToken);
        }

        if (target.IsBaseline)
        {
            await target.EndRowAsync(writer, cancellationToken);
        }
        else
        {
            await writer.WriteAsync(restaged, NpgsqlDbType.Boolean, cancellationToken);
        }
    }
}
