using Npgsql;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// No false "has access": an id that only an unsettled pass of the enumeration returned, and the settled pass did not
/// see, may have been deleted during the read. It is staged as the pager yielded it, so it is taken back here and
/// looked up by id with the removal checks before it can count as present.
/// </summary>
internal sealed partial class SyncStaging
{
    private const string Unstage = """
        DELETE FROM stage_users WHERE scim_id = ANY(@users);
        DELETE FROM stage_members WHERE group_id = ANY(@groups);
        """;

    // A baseline copies straight into the directory tables, inside the transaction that a failure rolls back.
    // Group rows are written only after the removal checks, so there are none to take back.
    private const string UnstageBaseline = """
        DELETE FROM directory_users WHERE connection_id = @c AND scim_id = ANY(@users);
        DELETE FROM memberships WHERE connection_id = @c AND group_id = ANY(@groups);
        """;

    /// <summary>
    /// Takes back the rows and counts staged for the unsettled ids, and puts those that were stored back among the
    /// stored resources the enumeration did not return, as the settled pass left them.
    /// </summary>
    private async Task UnstageUnsettledAsync(
        NpgsqlConnection session, StoredDirectory stored, StageTarget target, StageResult result, CancellationToken cancellationToken)
    {
        var users = result.Users.Unsettled;
        var groups = result.Groups.Unsettled;
        if (users.Count == 0 && groups.Count == 0)
        {
            return;
        }

        await using (var command = new NpgsqlCommand(target.IsBaseline ? UnstageBaseline : Unstage, session))
        {
            if (target.ConnectionId is { } connectionId)
            {
                command.Parameters.AddWithValue("c", connectionId);
            }

            command.Parameters.AddWithValue("users", users.ToArray());
            command.Parameters.AddWithValue("groups", groups.ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // Each was yielded once, so staged once.
        result.Counts.UsersSeen -= users.Count;
        var userIds = users.ToHashSet(StringComparer.Ordinal);
        foreach (var members in fromUsers.Values)
        {
            members.RemoveAll(m => userIds.Contains(m.Id));
        }

        await stored.RestoreUsersAsync(session, users, cancellationToken);

        var groupIds = groups.ToHashSet(StringComparer.Ordinal);
        staged.RemoveAll(s => groupIds.Contains(s.Group.Id));
        foreach (var id in groups)
        {
            unknownMembers.Remove(id);
            if (counted.Remove(id, out var group))
            {
                result.Counts.GroupsSeen--;
                result.Counts.MembershipsSeen -= group.Members;
                result.PrivilegedGroups.Remove(group.DisplayName);
            }

            // A group listed without members was never staged and is still among the stored ones.
            if (previous.Remove(id, out var old))
            {
                stored.Groups[id] = old;
            }
        }
    }
}
