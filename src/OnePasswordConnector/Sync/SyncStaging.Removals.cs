using Npgsql;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>No false leavers: a stored resource the enumeration did not return is removed only when the bridge says 404.</summary>
internal sealed partial class SyncStaging
{
    /// <summary>
    /// Asks the bridge for each stored user and group the enumeration did not return: 404 confirms the removal, a
    /// resource means the enumeration missed it (ids shifted under it), so it is staged as seen and stays. The ids only
    /// an unsettled pass returned are asked for alike: 404 leaves them out (and records a stored one removed), a
    /// resource stages them from that answer. Any other answer fails the run before anything is merged.
    /// </summary>
    private async Task CheckRemovalsAsync(
        NpgsqlConnection session, StoredDirectory stored, StageTarget target, StageResult result, CancellationToken cancellationToken)
    {
        var unsettled = result.Users.Unsettled.Count + result.Groups.Unsettled.Count;
        var missing = stored.Users.Count + stored.Groups.Count + unsettled;
        if (missing > maxRemovalChecks)
        {
            throw new SyncRefusedException(
                $"The bridge no longer listed {stored.Users.Count} stored users and {stored.Groups.Count} stored groups"
                + (unsettled == 0 ? "" : $", and {unsettled} more users and groups were listed only while the directory moved under the enumeration")
                + $": more than the {maxRemovalChecks} that Sync:MaxRemovalChecks allows a run to confirm one by one, so nothing was changed. If the "
                + "directory really shrank this much, raise Sync:MaxRemovalChecks for one sync; otherwise check what the bridge lists.");
        }

        if (missing > 0)
        {
            await UnstageUnsettledAsync(session, stored, target, result, cancellationToken);
            var unsettledUsers = result.Users.Unsettled.ToHashSet(StringComparer.Ordinal);
            var users = await reads.ReadAsync("Users", stored.Users.Keys.Union(unsettledUsers, StringComparer.Ordinal).ToList(),
                notFoundIsAnswer: true, ScimUser.Parse, cancellationToken);
            await using (var writer = await session.BeginBinaryImportAsync(UserRows.Copy(target), cancellationToken))
            {
                foreach (var (id, read) in users)
                {
                    var wasStored = stored.Users.ContainsKey(id);
                    if (read.Value is null)
                    {
                        result.Users.UnsettledGone += unsettledUsers.Contains(id) ? 1 : 0;
                        result.Users.RemovalsConfirmed += wasStored ? 1 : 0;
                        continue;
                    }

                    result.Users.UnsettledKept += unsettledUsers.Contains(id) ? 1 : 0;
                    result.Users.RemovalsRefuted += wasStored ? 1 : 0;
                    result.Warnings.TextReplaced("User", id, read.Repairs);
                    await StageUserAsync(writer, target, stored, read.Value, result, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            var unsettledGroups = result.Groups.Unsettled.ToHashSet(StringComparer.Ordinal);
            var groups = await reads.ReadAsync("Groups", stored.Groups.Keys.Union(unsettledGroups, StringComparer.Ordinal).ToList(),
                notFoundIsAnswer: true, root => ScimGroup.Parse(root), cancellationToken);
            await using (var members = await session.BeginBinaryImportAsync(MemberRows.Copy(target), cancellationToken))
            {
                foreach (var (id, read) in groups)
                {
                    var wasStored = stored.Groups.ContainsKey(id);
                    if (read.Value is null)
                    {
                        result.Groups.UnsettledGone += unsettledGroups.Contains(id) ? 1 : 0;
                        result.Groups.RemovalsConfirmed += wasStored ? 1 : 0;
                        continue;
                    }

                    result.Groups.UnsettledKept += unsettledGroups.Contains(id) ? 1 : 0;
                    result.Groups.RemovalsRefuted += wasStored ? 1 : 0;
                    result.Warnings.TextReplaced("Group", id, read.Repairs);
                    await StageGroupAsync(members, target, stored, read.Value, read.Value.Members, result, cancellationToken);
                }

                await members.CompleteAsync(cancellationToken);
            }
        }

        result.RemovalsChecked = true;
    }
}

/// <summary>A run that stops, before it changes anything, for a reason the connector itself decides; the message is for the admin.</summary>
internal sealed class SyncRefusedException(string message) : Exception(message);
