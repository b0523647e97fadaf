using System.Security.Cryptography;
using System.Text;
using Npgsql;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>What one enumeration staged: the run's counters so far, the privileged groups seen, the warnings met.</summary>
internal sealed class StageResult
{
    public SyncCounts Counts { get; } = new();
    public List<string> PrivilegedGroups { get; } = [];
    public SyncWarnings Warnings { get; } = new();
    public EnumerationRecord Users { get; } = new();
    public EnumerationRecord Groups { get; } = new();
}

/// <summary>
/// Enumerates a bridge completely and stages, with binary COPY, only what differs from <see cref="StoredDirectory"/>:
/// new or changed users and groups, the member lists of groups whose members changed, and the ids that were not
/// seen again. An unchanged directory stages nothing, so a re-sync costs little more than reading the bridge.
/// </summary>
internal sealed class SyncStaging(ScimClient client, BridgeEndpoint bridge, ScimPager pager, IEnumerationProgress progress)
{
    public async Task<StageResult> StageAsync(NpgsqlConnection session, StoredDirectory stored, StageTarget target, CancellationToken cancellationToken)
    {
        var result = new StageResult();
        var counts = result.Counts;
        var staged = new List<(ScimGroup Group, byte[]? MembersHash, bool Restaged)>();
        var unknownMembers = new Dictionary<string, ScimGroup>(StringComparer.Ordinal);
        var previous = new Dictionary<string, (byte[] Content, byte[]? Members)>(StringComparer.Ordinal);

        // Groups first: then it is known, before users are read, which groups need their members from the users.
        await using (var members = await session.BeginBinaryImportAsync(MemberRows.Copy(target), cancellationToken))
        {
            await foreach (var item in pager.EnumerateAsync(bridge, "Groups", progress, result.Groups, cancellationToken))
            {
                var group = ScimGroup.Parse(item.Resource, item.Members);
                counts.GroupsSeen++;
                result.Warnings.TextReplaced("Group", group.Id, item.Repairs);
                if (PrivilegedGroups.Contains(group.DisplayName))
                {
                    result.PrivilegedGroups.Add(group.DisplayName);
                }

                var list = group.Members ?? await ReadMembersAsync(group.Id, result, cancellationToken);
                var old = stored.Groups.Remove(group.Id, out var before) ? before : ((byte[] Content, byte[]? Members)?)null;
                if (old is { } o)
                {
                    previous[group.Id] = o;
                }

                if (list is null)
                {
                    unknownMembers[group.Id] = group with { Members = null };
                    if (old is null || !old.Value.Content.AsSpan().SequenceEqual(group.Hash))
                    {
                        staged.Add((group with { Members = null }, null, false));
                    }

                    continue;
                }

                counts.MembershipsSeen += list.Count;
                var membersHash = MembersHash(list);
                var restage = old?.Members is not { } oldMembers || !oldMembers.AsSpan().SequenceEqual(membersHash);
                if (restage)
                {
                    await MemberRows.WriteAsync(members, target, group.Id, list, cancellationToken);
                }

                if (restage || old is null || !old.Value.Content.AsSpan().SequenceEqual(group.Hash))
                {
                    staged.Add((group with { Members = null }, membersHash, restage));
                }
            }

            await members.CompleteAsync(cancellationToken);
        }

        var fromUsers = new Dictionary<string, List<ScimMember>>(StringComparer.Ordinal);
        var usersCarryGroups = false;
        await using (var writer = await session.BeginBinaryImportAsync(UserRows.Copy(target), cancellationToken))
        {
            await foreach (var item in pager.EnumerateAsync(bridge, "Users", progress, result.Users, cancellationToken))
            {
                var resource = item.Resource;
                var user = ScimUser.Parse(resource);
                counts.UsersSeen++;
                result.Warnings.TextReplaced("User", user.Id, item.Repairs);
                usersCarryGroups |= ScimJson.Property(resource, "groups") is not null;
                foreach (var groupId in user.GroupIds)
                {
                    if (unknownMembers.ContainsKey(groupId))
                    {
                        (fromUsers.TryGetValue(groupId, out var list) ? list : fromUsers[groupId] = []).Add(new ScimMember(user.Id, "User"));
                    }
                }

                if (!stored.Users.Remove(user.Id, out var oldHash) || !oldHash.AsSpan().SequenceEqual(user.Hash))
                {
                    await UserRows.WriteAsync(writer, target, user, cancellationToken);
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // Groups listed without members: the users' own group lists are the members, when the bridge sends them.
        if (usersCarryGroups && unknownMembers.Count > 0)
        {
            await using var members = await session.BeginBinaryImportAsync(MemberRows.Copy(target), cancellationToken);
            foreach (var (groupId, group) in unknownMembers)
            {
                var list = fromUsers.GetValueOrDefault(groupId)?.DistinctBy(m => m.Id).ToList() ?? [];
                counts.MembershipsSeen += list.Count;
                var membersHash = MembersHash(list);
                if (previous.GetValueOrDefault(groupId).Members is { } oldMembers && oldMembers.AsSpan().SequenceEqual(membersHash))
                {
                    continue;
                }

                await MemberRows.WriteAsync(members, target, groupId, list, cancellationToken);
                staged.RemoveAll(s => s.Group.Id == groupId);
                staged.Add((group, membersHash, true));
            }

            await members.CompleteAsync(cancellationToken);
            unknownMembers.Clear();
        }

        await using (var writer = await session.BeginBinaryImportAsync(GroupRows.Copy(target), cancellationToken))
        {
            foreach (var (group, membersHash, restaged) in staged)
            {
                await GroupRows.WriteAsync(writer, target, group, membersHash, restaged, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        if (target.IsBaseline)
        {
            counts.UsersAdded = counts.UsersSeen;
            counts.GroupsAdded = counts.GroupsSeen;
            counts.MembershipsAdded = counts.MembershipsSeen;
            return result;
        }

        // What was stored but not seen again in a complete enumeration is gone from the bridge.
        await using (var writer = await session.BeginBinaryImportAsync(MemberRows.StageRemoved, cancellationToken))
        {
            await MemberRows.WriteRemovedAsync(writer, "User", stored.Users.Keys, cancellationToken);
            await MemberRows.WriteRemovedAsync(writer, "Group", stored.Groups.Keys, cancellationToken);

            await writer.CompleteAsync(cancellationToken);
        }

        return result;
    }

    /// <summary>Members of a group listed without them, from <c>GET /Groups/{id}</c>; null when that has none either.</summary>
    private async Task<IReadOnlyList<ScimMember>?> ReadMembersAsync(string groupId, StageResult result, CancellationToken cancellationToken)
    {
        result.Groups.MemberListsRead++;
        using var document = await client.GetJsonAsync(bridge, bridge.Resolve($"Groups/{Uri.EscapeDataString(groupId)}"), cancellationToken);
        var members = ScimGroup.Parse(document.RootElement).Members;
        if (members is not null)
        {
            result.Warnings.TextReplaced("Group", groupId, document.RepairsOf(-1)?.Where(r => r.Attribute.StartsWith("members", StringComparison.OrdinalIgnoreCase)).ToList());
        }

        return members;
    }

    /// <summary>A digest of a member list, independent of the order the bridge sends it in.</summary>
    internal static byte[] MembersHash(IReadOnlyList<ScimMember> members)
    {
        // Sorted in place on a copy and hashed through one small buffer: a 100,000-member group must not cost a
        // string per member.
        var ordered = members.ToArray();
        Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.Id, b.Id) is var byId and not 0 ? byId : string.CompareOrdinal(a.Type, b.Type));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> line = stackalloc byte[512];
        foreach (var member in ordered)
        {
            if (Encoding.UTF8.GetMaxByteCount(member.Type.Length + member.Id.Length + 2) > line.Length)
            {
                hash.AppendData(Encoding.UTF8.GetBytes($"{member.Type}:{member.Id}\n"));
                continue;
            }

            var written = Encoding.UTF8.GetBytes(member.Type, line);
            line[written++] = (byte)':';
            written += Encoding.UTF8.GetBytes(member.Id, line[written..]);
            line[written++] = (byte)'\n';
            hash.AppendData(line[..written]);
        }

        return hash.GetHashAndReset();
    }
}
