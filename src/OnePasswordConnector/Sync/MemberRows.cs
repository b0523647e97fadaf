using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>A group's members as the sync COPYs them, and the ids a complete enumeration did not see again.</summary>
internal static class MemberRows
{
    public const string Stage = "COPY stage_members (group_id, member_id, member_type) FROM STDIN (FORMAT BINARY)";

    public const string Baseline = """
        COPY memberships (connection_id, group_id, member_id, member_type, valid_from, first_seen_at, last_seen_at) FROM STDIN (FORMAT BINARY)
        """;

    public const string StageRemoved = "COPY stage_removed (resource, scim_id) FROM STDIN (FORMAT BINARY)";

    public static string Copy(StageTarget target) => target.IsBaseline ? Baseline : Stage;

    public static async Task WriteAsync(
        NpgsqlBinaryImporter writer, StageTarget target, string groupId, IReadOnlyList<ScimMember> members, CancellationToken cancellationToken)
    {
        if (members is MemberList read)
        {
            // The ids go out as the UTF-8 bytes they were read as (Npgsql sends them as text unchanged): a group of a
            // million members need not become a million strings, each garbage a moment later.
            for (var i = 0; i < read.Count; i++)
            {
                var id = read.IdUtf8(i, out var isGroup);
                await target.StartRowAsync(writer, cancellationToken);
                await writer.WriteAsync(groupId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(isGroup ? "Group" : "User", NpgsqlDbType.Text, cancellationToken);
                await target.EndRowAsync(writer, cancellationToken);
            }

            return;
        }

        foreach (var member in members)
        {
            await target.StartRowAsync(writer, cancellationToken);
            await writer.WriteAsync(groupId, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(member.Id, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(member.Type, NpgsqlDbType.Text, cancellationToken);
            await target.EndRowAsync(writer, cancellationToken);
        }
    }

    /// <summary>Stored users and groups (<paramref name="resource"/> User or Group) the bridge no longer lists.</summary>
    public static async Task WriteRemovedAsync(
        NpgsqlBinaryImporter writer, string resource, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(resource, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
        }
    }
}
