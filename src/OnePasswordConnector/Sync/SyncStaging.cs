using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Scim;

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

/// <summary>Where rows go: the session's staging tables, or, for a baseline, straight into the directory tables.</summary>
internal sealed record StageTarget(string Users, string Groups, string Members, Guid? ConnectionId, DateTimeOffset Stamp)
{
    public static readonly StageTarget Staging = new(SyncSql.CopyUsers, SyncSql.CopyGroups, SyncSql.CopyMembers, null, default);

    public static StageTarget Baseline(Guid connectionId, DateTimeOffset stamp) =>
        new(SyncSql.CopyBaselineUsers, SyncSql.CopyBaselineGroups, SyncSql.CopyBaselineMembers, connectionId, stamp);

    public bool IsBaseline => ConnectionId is not null;

    public async Task StartRowAsync(NpgsqlBinaryImporter writer, CancellationToken cancellationToken)
    {
        await writer.StartRowAsync(cancellationToken);
        if (ConnectionId is { } id)
        {
            await writer.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
        }
    }

    /// <summary>A baseline row is valid from, first seen and last seen at the baseline's instant.</summary>
    public async Task EndRowAsync(NpgsqlBinaryImporter writer, CancellationToken cancellationToken)
    {
        if (IsBaseline)
        {
            await writer.WriteAsync(Stamp, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(Stamp, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(Stamp, NpgsqlDbType.TimestampTz, cancellationToken);
        }
    }
}

internal sealed class StageCounts
{
    public int UsersSeen { get; set; }
    public int UsersAdded { get; set; }
    public int UsersChanged { get; set; }
    public int UsersRemoved { get; set; }
    public int GroupsSeen { get; set; }
    public int GroupsAdded { get; set; }
    public int GroupsChanged { get; set; }
    public int GroupsRemoved { get; set; }
    public int MembershipsSeen { get; set; }
    public int MembershipsAdded { get; set; }
    public int MembershipsRemoved { get; set; }
    public int ChangeEvents { get; set; }
    public List<string> PrivilegedGroups { get; } = [];
    public SyncWarnings Warnings { get; } = new();
}

/// <summary>
/// Enumerates a bridge completely and stages, with binary COPY, only what differs from <see cref="StoredDirectory"/>:
/// new or changed users and groups, the member lists of groups whose members changed, and the ids that were not
/// seen again. An unchanged directory stages nothing, so a re-sync costs little more than reading the bridge.
/// </summary>
internal sealed class SyncStaging(ScimClient client, BridgeEndpoint bridge, ScimPager pager, IEnumerationProgress progress)
{
    public async Task<StageCounts> StageAsync(NpgsqlConnection session, StoredDirectory stored, StageTarget target, CancellationToken cancellationToken)
    {
        var counts = new StageCounts();
        var staged = new List<(ScimGroup Group, byte[]? MembersHash, bool Restaged)>();
        var unknownMembers = new Dictionary<string, ScimGroup>(StringComparer.Ordinal);
        var previous = new Dictionary<string, (byte[] Content, byte[]? Members)>(StringComparer.Ordinal);

        // Groups first: then it is known, before users are read, which groups need their members from the users.
        await using (var members = await session.BeginBinaryImportAsync(target.Members, cancellationToken))
        {
            await foreach (var item in pager.EnumerateAsync(bridge, "Groups", progress, cancellationToken))
            {
                var group = ScimGroup.Parse(item.Resource, item.Members);
                counts.GroupsSeen++;
                counts.Warnings.TextReplaced("Group", group.Id, item.Repairs);
                if (PrivilegedGroups.Contains(group.DisplayName))
                {
                    counts.PrivilegedGroups.Add(group.DisplayName);
                }

                var list = group.Members ?? await ReadMembersAsync(group.Id, counts.Warnings, cancellationToken);
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
                    await WriteMembersAsync(members, target, group.Id, list, cancellationToken);
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
        await using (var writer = await session.BeginBinaryImportAsync(target.Users, cancellationToken))
        {
            await foreach (var item in pager.EnumerateAsync(bridge, "Users", progress, cancellationToken))
            {
                var resource = item.Resource;
                var user = ScimUser.Parse(resource);
                counts.UsersSeen++;
                counts.Warnings.TextReplaced("User", user.Id, item.Repairs);
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
                    await WriteUserAsync(writer, target, user, cancellationToken);
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // Groups listed without members: the users' own group lists are the members, when the bridge sends them.
        if (usersCarryGroups && unknownMembers.Count > 0)
        {
            await using var members = await session.BeginBinaryImportAsync(target.Members, cancellationToken);
            foreach (var (groupId, group) in unknownMembers)
            {
                var list = fromUsers.GetValueOrDefault(groupId)?.DistinctBy(m => m.Id).ToList() ?? [];
                counts.MembershipsSeen += list.Count;
                var membersHash = MembersHash(list);
                if (previous.GetValueOrDefault(groupId).Members is { } oldMembers && oldMembers.AsSpan().SequenceEqual(membersHash))
                {
                    continue;
                }

                await WriteMembersAsync(members, target, groupId, list, cancellationToken);
                staged.RemoveAll(s => s.Group.Id == groupId);
                staged.Add((group, membersHash, true));
            }

            await members.CompleteAsync(cancellationToken);
            unknownMembers.Clear();
        }

        await using (var writer = await session.BeginBinaryImportAsync(target.Groups, cancellationToken))
        {
            foreach (var (group, membersHash, restaged) in staged)
            {
                await WriteGroupAsync(writer, target, group, membersHash, restaged, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        if (target.IsBaseline)
        {
            counts.UsersAdded = counts.UsersSeen;
            counts.GroupsAdded = counts.GroupsSeen;
            counts.MembershipsAdded = counts.MembershipsSeen;
            return counts;
        }

        // What was stored but not seen again in a complete enumeration is gone from the bridge.
        await using (var writer = await session.BeginBinaryImportAsync(SyncSql.CopyRemoved, cancellationToken))
        {
            foreach (var (resource, ids) in new[] { ("User", stored.Users.Keys), ("Group", (IEnumerable<string>)stored.Groups.Keys) })
            {
                foreach (var id in ids)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(resource, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        return counts;
    }

    /// <summary>Members of a group listed without them, from <c>GET /Groups/{id}</c>; null when that has none either.</summary>
    private async Task<IReadOnlyList<ScimMember>?> ReadMembersAsync(string groupId, SyncWarnings warnings, CancellationToken cancellationToken)
    {
        using var document = await client.GetJsonAsync(bridge, bridge.Resolve($"Groups/{Uri.EscapeDataString(groupId)}"), cancellationToken);
        var members = ScimGroup.Parse(document.RootElement).Members;
        if (members is not null)
        {
            warnings.TextReplaced("Group", groupId, document.RepairsOf(-1)?.Where(r => r.Attribute.StartsWith("members", StringComparison.OrdinalIgnoreCase)).ToList());
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

    private static async Task WriteMembersAsync(
        NpgsqlBinaryImporter writer, StageTarget target, string groupId, IReadOnlyList<ScimMember> members, CancellationToken cancellationToken)
    {
        foreach (var member in members)
        {
            await target.StartRowAsync(writer, cancellationToken);
            await writer.WriteAsync(groupId, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(member.Id, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(member.Type, NpgsqlDbType.Text, cancellationToken);
            await target.EndRowAsync(writer, cancellationToken);
        }
    }

    private static async Task WriteUserAsync(NpgsqlBinaryImporter writer, StageTarget target, ScimUser user, CancellationToken cancellationToken)
    {
        await target.StartRowAsync(writer, cancellationToken);
        await writer.WriteAsync(user.Id, NpgsqlDbType.Text, cancellationToken);
        await WriteNullable(writer, user.ExternalId, cancellationToken);
        await writer.WriteAsync(user.UserName, NpgsqlDbType.Text, cancellationToken);
        await WriteNullable(writer, user.GivenName, cancellationToken);
        await WriteNullable(writer, user.FamilyName, cancellationToken);
        await WriteNullable(writer, user.FormattedName, cancellationToken);
        await WriteNullable(writer, user.DisplayName, cancellationToken);
        await WriteNullable(writer, user.PrimaryEmail, cancellationToken);
        await writer.WriteAsync(user.Emails, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
        await writer.WriteAsync(user.Active, NpgsqlDbType.Boolean, cancellationToken);
        await WriteNullable(writer, user.State, cancellationToken);
        await WriteNullable(writer, user.Created, cancellationToken);
        await WriteNullable(writer, user.LastModified, cancellationToken);
        await writer.WriteAsync(user.RawUtf8, NpgsqlDbType.Jsonb, cancellationToken);
        await writer.WriteAsync(user.Hash, NpgsqlDbType.Bytea, cancellationToken);
        await target.EndRowAsync(writer, cancellationToken);
    }

    private static async Task WriteGroupAsync(
        NpgsqlBinaryImporter writer, StageTarget target, ScimGroup group, byte[]? membersHash, bool restaged, CancellationToken cancellationToken)
    {
        await target.StartRowAsync(writer, cancellationToken);
        await writer.WriteAsync(group.Id, NpgsqlDbType.Text, cancellationToken);
        await writer.WriteAsync(group.DisplayName, NpgsqlDbType.Text, cancellationToken);
        await WriteNullable(writer, group.ExternalId, cancellationToken);
        await WriteNullable(writer, group.Created, cancellationToken);
        await WriteNullable(writer, group.LastModified, cancellationToken);
        await writer.WriteAsync(group.Raw, NpgsqlDbType.Jsonb, cancellationToken);
        await writer.WriteAsync(group.Hash, NpgsqlDbType.Bytea, cancellationToken);
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

    private static Task WriteNullable(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task WriteNullable(NpgsqlBinaryImporter writer, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } v ? writer.WriteAsync(v.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken) : writer.WriteNullAsync(cancellationToken);
}
