using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Npgsql;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// What one enumeration staged: the run's counters so far, the privileged groups seen, the warnings met, and what each
/// resource type's enumeration proved. It lives as long as the run, so a failed run still records what it learnt.
/// </summary>
internal sealed class StageResult
{
    public SyncCounts Counts { get; } = new();
    public List<string> PrivilegedGroups { get; } = [];
    public SyncWarnings Warnings { get; } = new();
    public EnumerationRecord Users { get; } = new();
    public EnumerationRecord Groups { get; } = new();

    /// <summary>The pager reached the end of /Users, or of /Groups, without an error.</summary>
    public bool UsersEnumerated { get; set; }

    public bool GroupsEnumerated { get; set; }

    /// <summary>Every stored user and group the enumerations did not return was looked up (or none needed to be).</summary>
    public bool RemovalsChecked { get; set; }

    /// <summary>Groups whose member list neither the group, nor <c>GET /Groups/{id}</c>, nor the users' own group lists gave.</summary>
    public int MemberListsUnknown { get; set; }
}

/// <summary>
/// Enumerates a bridge completely and stages, with binary COPY, only what differs from <see cref="StoredDirectory"/>:
/// new or changed users and groups, the member lists of groups whose members changed, and the ids that are gone. A
/// stored id the enumeration did not return is looked up on its own before it counts as gone, since a directory
/// edited during the enumeration shifts offsets and a page can skip a resource that still exists. An unchanged
/// directory stages nothing, so a re-sync costs little more than reading the bridge.
/// </summary>
internal sealed partial class SyncStaging(
    BridgeEndpoint bridge, ScimPager pager, ResourceReads reads, int maxRemovalChecks, IEnumerationProgress progress)
{
    private readonly List<(ScimGroup Group, byte[]? MembersHash, bool Restaged)> staged = [];
    private readonly Dictionary<string, ScimGroup> unknownMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (byte[] Content, byte[]? Members)> previous = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ScimMember>> fromUsers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string DisplayName, int Members)> counted = new(StringComparer.Ordinal);
    private bool usersCarryGroups;

    public async Task StageAsync(
        NpgsqlConnection session, StoredDirectory stored, StageTarget target, StageResult result, CancellationToken cancellationToken)
    {
        var counts = result.Counts;

        // Users are read and parsed while groups are staged, so that the bridge is not left idle while a large group's
        // members are written. They are staged after the groups, which then know which groups need their members
        // from the users.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var users = Channel.CreateBounded<ListedUser>(new BoundedChannelOptions(UsersReadAhead) { SingleReader = true, SingleWriter = true });
        var reading = ReadUsersAsync(users.Writer, result.Users, stop.Token);
        try
        {
            await StageListedAsync(session, stored, target, users.Reader, result, cancellationToken);
            await reading;
            result.UsersEnumerated = true;
        }
        finally
        {
            // A run that stops early (its groups failed) leaves no read running behind it.
            await stop.CancelAsync();
            await Task.WhenAny(reading);
        }

        await CheckRemovalsAsync(session, stored, target, result, cancellationToken);

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

        result.MemberListsUnknown = unknownMembers.Count;
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
            return;
        }

        // What is left was stored, not returned by the enumeration, and answered 404 on its own: gone from the bridge.
        await using (var writer = await session.BeginBinaryImportAsync(MemberRows.StageRemoved, cancellationToken))
        {
            await MemberRows.WriteRemovedAsync(writer, "User", stored.Users.Keys, cancellationToken);
            await MemberRows.WriteRemovedAsync(writer, "Group", stored.Groups.Keys, cancellationToken);

            await writer.CompleteAsync(cancellationToken);
        }
    }

    /// <summary>Stages the groups as they are listed, then the users as the reader hands them over.</summary>
    private async Task StageListedAsync(
        NpgsqlConnection session, StoredDirectory stored, StageTarget target, ChannelReader<ListedUser> users, StageResult result,
        CancellationToken cancellationToken)
    {
        await using (var members = await session.BeginBinaryImportAsync(MemberRows.Copy(target), cancellationToken))
        {
            var withoutMembers = new List<ScimGroup>();
            await foreach (var item in pager.EnumerateAsync(bridge, "Groups", progress, result.Groups, cancellationToken))
            {
                var group = ScimGroup.Parse(item.Resource, item.Members);
                result.Warnings.TextReplaced("Group", group.Id, item.Repairs);
                if (group.Members is null)
                {
                    withoutMembers.Add(group);
                    continue;
                }

                await StageGroupAsync(members, target, stored, group, group.Members, result, cancellationToken);
            }

            result.GroupsEnumerated = true;

            // A group only an unsettled pass listed may be gone: its look-up with the removal checks reads its members.
            // Until then the users' own group lists are gathered for it, in case that answer has no members either.
            var unsettledGroups = result.Groups.Unsettled.ToHashSet(StringComparer.Ordinal);
            foreach (var group in withoutMembers.Where(g => unsettledGroups.Contains(g.Id)))
            {
                unknownMembers[group.Id] = group;
            }

            withoutMembers.RemoveAll(g => unsettledGroups.Contains(g.Id));

            // Member lists of groups listed without them, read after the list so that they can be read side by side.
            var lists = await reads.ReadAsync("Groups", withoutMembers.ConvertAll(g => g.Id), notFoundIsAnswer: false,
                root => ScimGroup.Parse(root), cancellationToken);
            result.Groups.MemberListsRead += withoutMembers.Count;
            foreach (var group in withoutMembers)
            {
                var read = lists[group.Id];
                if (read.Value?.Members is not null)
                {
                    result.Warnings.TextReplaced("Group", group.Id,
                        read.Repairs?.Where(r => r.Attribute.StartsWith("members", StringComparison.OrdinalIgnoreCase)).ToList() is { Count: > 0 } r ? r : null);
                }

                await StageGroupAsync(members, target, stored, group, read.Value?.Members, result, cancellationToken);
            }

            await members.CompleteAsync(cancellationToken);
        }

        await using (var writer = await session.BeginBinaryImportAsync(UserRows.Copy(target), cancellationToken))
        {
            await foreach (var listed in users.ReadAllAsync(cancellationToken))
            {
                result.Warnings.TextReplaced("User", listed.User.Id, listed.Repairs);
                usersCarryGroups |= listed.CarriesGroups;
                await StageUserAsync(writer, target, stored, listed.User, result, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }
    }

    private async Task StageGroupAsync(
        NpgsqlBinaryImporter members, StageTarget target, StoredDirectory stored, ScimGroup group, IReadOnlyList<ScimMember>? list,
        StageResult result, CancellationToken cancellationToken)
    {
        var counts = result.Counts;
        counts.GroupsSeen++;
        counted[group.Id] = (group.DisplayName, list?.Count ?? 0);
        if (PrivilegedGroups.Contains(group.DisplayName))
        {
            result.PrivilegedGroups.Add(group.DisplayName);
        }

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

            return;
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

    private async Task StageUserAsync(
        NpgsqlBinaryImporter writer, StageTarget target, StoredDirectory stored, ScimUser user, StageResult result,
        CancellationToken cancellationToken)
    {
        result.Counts.UsersSeen++;
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

    /// <summary>A digest of a member list, independent of the order the bridge sends it in.</summary>
    internal static byte[] MembersHash(IReadOnlyList<ScimMember> members)
    {
        if (members is MemberList read)
        {
            return read.Digest;
        }

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
