using Npgsql;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>No false leavers: a stored resource the enumeration did not return is removed only when the bridge says 404.</summary>
internal sealed partial class SyncStaging
{
    /// <summary>
    /// Asks the bridge for each stored user and group the enumeration did not return: 404 confirms the removal, a
    /// resource means the enumeration missed it (ids shifted under it), so it is staged as seen and stays. Any other
    /// answer fails the run before anything is merged.
    /// </summary>
    private async Task CheckRemovalsAsync(
        NpgsqlConnection session, StoredDirectory stored, StageTarget target, StageResult result, CancellationToken cancellationToken)
    {
        var missing = stored.Users.Count + stored.Groups.Count;
        if (missing > maxRemovalChecks)
        {
            throw new SyncRefusedException(
                $"The bridge no longer listed {stored.Users.Count} stored users and {stored.Groups.Count} stored groups: more than the "
                + $"{maxRemovalChecks} that Sync:MaxRemovalChecks allows a run to confirm one by one, so nothing was changed. If the "
                + "directory really shrank this much, raise Sync:MaxRemovalChecks for one sync; otherwise check what the bridge lists.");
        }

        if (missing > 0)
        {
            var users = await reads.ReadAsync("Users", stored.Users.Keys.ToList(), notFoundIsAnswer: true, ScimUser.Parse, cancellationToken);
            await using (var writer = await session.BeginBinaryImportAsync(UserRows.Copy(target), cancellationToken))
            {
                foreach (var (id, read) in users)
                {
                    if (read.Value is null)
                    {
                        result.Users.RemovalsConfirmed++;
                        continue;
                    }

                    result.Users.RemovalsRefuted++;
                    result.Warnings.TextReplaced("User", id, read.Repairs);
                    await StageUserAsync(writer, target, stored, read.Value, result, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            var groups = await reads.ReadAsync("Groups", stored.Groups.Keys.ToList(), notFoundIsAnswer: true, root => ScimGroup.Parse(root), cancellationToken);
            await using (var members = await session.BeginBinaryImportAsync(MemberRows.Copy(target), cancellationToken))
            {
                foreach (var (id, read) in groups)
                {
                    if (read.Value is null)
                    {
                        result.Groups.RemovalsConfirmed++;
                        continue;
                    }

                    result.Groups.RemovalsRefuted++;
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
