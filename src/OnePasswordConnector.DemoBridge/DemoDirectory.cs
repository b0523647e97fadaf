using System.Collections.Immutable;

namespace OnePasswordConnector.DemoBridge;

/// <summary>
/// An in-memory 1Password team. Safe to read and change from any thread while a bridge serves it: each request reads
/// one consistent snapshot, so a change made between two pages shows on the next page, as it would on a real bridge.
/// </summary>
public sealed partial class DemoDirectory
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, DemoUser> users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DemoGroup> groups = new(StringComparer.Ordinal);
    private readonly Random random;
    private DirectorySnapshot? snapshot;

    /// <summary>An empty team. <paramref name="seed"/> drives the ids of resources added later.</summary>
    public DemoDirectory(int seed = 0, TimeProvider? timeProvider = null)
    {
        random = new Random(seed);
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Stamps <c>meta.lastModified</c> on changes and the times in <c>/health</c>.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// A team generated deterministically from <paramref name="seed"/>: <paramref name="users"/> people plus the
    /// "Provision Manager" service user, and <paramref name="groups"/> team groups (Engineering, Sales, …) plus the
    /// built-in Owners, Administrators and Provision Managers groups. Each person joins
    /// <paramref name="membershipsPerUser"/> team groups; one person in 25 is inactive (at least two from ten people). With
    /// <paramref name="everyoneGroup"/>, an extra "Everyone" group holds every person.
    /// </summary>
    public static DemoDirectory Generate(
        int users, int groups, int seed, int membershipsPerUser = 3, bool everyoneGroup = false, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        ArgumentOutOfRangeException.ThrowIfNegative(groups);
        ArgumentOutOfRangeException.ThrowIfNegative(membershipsPerUser);
        var directory = new DemoDirectory(seed, timeProvider);
        DemoTeam.Populate(directory, users, groups, membershipsPerUser, everyoneGroup);
        return directory;
    }

    /// <summary>The demo team: 25 users (one the Provision Manager, a few inactive) in 6 groups.</summary>
    public static DemoDirectory SmallTeam(TimeProvider? timeProvider = null) =>
        Generate(users: 24, groups: 3, seed: 2025, membershipsPerUser: 2, timeProvider: timeProvider);

    /// <summary>All users, ordered by id.</summary>
    public IReadOnlyList<DemoUser> Users => Snapshot().Users;

    /// <summary>All groups, ordered by id.</summary>
    public IReadOnlyList<DemoGroup> Groups => Snapshot().Groups;

    public DemoUser? FindUser(string id) => Snapshot().UserById.GetValueOrDefault(id);

    public DemoGroup? FindGroup(string id) => Snapshot().GroupById.GetValueOrDefault(id);

    public DemoUser? FindUserByUserName(string userName) =>
        Snapshot().Users.FirstOrDefault(u => string.Equals(u.UserName, userName, StringComparison.OrdinalIgnoreCase));

    public DemoGroup? FindGroupByName(string displayName) =>
        Snapshot().Groups.FirstOrDefault(g => string.Equals(g.DisplayName, displayName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds an active user; the email defaults to <c>given.family@example.com</c>.</summary>
    public DemoUser AddUser(string givenName, string familyName, string? email = null)
    {
        lock (gate)
        {
            var now = TimeProvider.GetUtcNow();
            email ??= $"{DemoTeam.EmailPart(givenName)}.{DemoTeam.EmailPart(familyName)}@{DemoTeam.Domain}";
            var user = new DemoUser(NewId(DemoTeam.UserIdAlphabet), email, givenName, familyName,
                $"{givenName} {familyName}", email, true, now, now);
            Put(user);
            return user;
        }
    }

    /// <summary>Removes a user and their memberships, as if they had never been provisioned.</summary>
    public bool RemoveUser(string userId)
    {
        lock (gate)
        {
            if (!users.Remove(userId))
            {
                return false;
            }

            foreach (var group in groups.Values.Where(g => g.MemberIds.Contains(userId)).ToList())
            {
                Put(group with { MemberIds = group.MemberIds.Remove(userId), LastModified = TimeProvider.GetUtcNow() });
            }

            snapshot = null;
            return true;
        }
    }

    /// <summary>Suspends a user (<c>active:false</c>); 1Password keeps deleted users listed this way.</summary>
    public DemoUser DeactivateUser(string userId) => ChangeUser(userId, u => u with { Active = false });

    public DemoUser ActivateUser(string userId) => ChangeUser(userId, u => u with { Active = true });

    public DemoUser RenameUser(string userId, string givenName, string familyName) =>
        ChangeUser(userId, u => u with { GivenName = givenName, FamilyName = familyName, DisplayName = $"{givenName} {familyName}" });

    /// <summary>Changes the email and, with it, the userName.</summary>
    public DemoUser ChangeEmail(string userId, string email) =>
        ChangeUser(userId, u => u with { Email = email, UserName = email });

    public DemoGroup AddGroup(string displayName)
    {
        lock (gate)
        {
            var now = TimeProvider.GetUtcNow();
            var group = new DemoGroup(NewId(DemoTeam.GroupIdAlphabet), displayName, [], now, now);
            Put(group);
            return group;
        }
    }

    /// <summary>
    /// Adds a group of <paramref name="members"/> members: every user, then ids of no listed user (former accounts, as
    /// far as a client can tell) until there are that many. A group far larger than the team, for memory benchmarks.
    /// </summary>
    public DemoGroup AddLargeGroup(string displayName, int members)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(members);
        lock (gate)
        {
            var ids = new HashSet<string>(users.Keys.Take(members), StringComparer.Ordinal);
            while (ids.Count < members)
            {
                ids.Add(NewId(DemoTeam.UserIdAlphabet));
            }

            var now = TimeProvider.GetUtcNow();
            var group = new DemoGroup(NewId(DemoTeam.GroupIdAlphabet), displayName, [.. ids], now, now);
            Put(group);
            return group;
        }
    }

    public bool RemoveGroup(string groupId)
    {
        lock (gate)
        {
            snapshot = null;
            return groups.Remove(groupId);
        }
    }

    public DemoGroup RenameGroup(string groupId, string displayName) =>
        ChangeGroup(groupId, g => g with { DisplayName = displayName });

    public DemoGroup AddMember(string groupId, string userId) =>
        ChangeGroup(groupId, g =>
        {
            if (!users.ContainsKey(userId))
            {
                throw new KeyNotFoundException($"No user with id '{userId}'.");
            }

            return g.MemberIds.Contains(userId) ? g : g with { MemberIds = g.MemberIds.Add(userId) };
        });

    public DemoGroup RemoveMember(string groupId, string userId) =>
        ChangeGroup(groupId, g => g with { MemberIds = g.MemberIds.Remove(userId) });

    /// <summary>
    /// Changes about <paramref name="fraction"/> of the people at once, in equal parts: joiners (added to a team
    /// group), leavers, deactivations and membership moves between team groups. For benchmarks of incremental syncs.
    /// </summary>
    public ChurnSummary Churn(double fraction, int seed)
    {
        lock (gate)
        {
            var random = new Random(seed);
            var people = users.Values.Where(u => u.Active && !u.UserName.StartsWith("provision", StringComparison.OrdinalIgnoreCase))
                .OrderBy(u => u.Id, StringComparer.Ordinal).ToList();
            var teams = groups.Values.Where(g => g.DisplayName is not ("Owners" or "Administrators" or "Provision Managers" or "Everyone"))
                .OrderBy(g => g.Id, StringComparer.Ordinal).ToList();
            var each = Math.Max(1, (int)(people.Count * fraction / 4));
            var picked = people.OrderBy(_ => random.Next()).Take(each * 3).ToList();
            var leavers = picked.Take(each).Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
            var movers = picked.Skip(each * 2).Take(each).ToList();

            // One pass over every group, not one per person: at a million people (an Everyone group of a million,
            // 5,000,000 memberships) RemoveUser per leaver and a search per mover took minutes.
            var firstTeam = new Dictionary<string, DemoGroup>(StringComparer.Ordinal);
            var moverIds = movers.Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var team in teams)
            {
                foreach (var member in team.MemberIds)
                {
                    if (moverIds.Contains(member))
                    {
                        firstTeam.TryAdd(member, team);
                    }
                }
            }

            var now = TimeProvider.GetUtcNow();
            foreach (var group in groups.Values.Where(g => g.MemberIds.Any(leavers.Contains)).ToList())
            {
                Put(group with { MemberIds = [.. group.MemberIds.Where(id => !leavers.Contains(id))], LastModified = now });
            }

            foreach (var leaver in leavers)
            {
                users.Remove(leaver);
            }

            snapshot = null;

            foreach (var user in picked.Skip(each).Take(each))
            {
                DeactivateUser(user.Id);
            }

            var moves = 0;
            foreach (var user in movers)
            {
                var from = firstTeam.GetValueOrDefault(user.Id);
                var to = teams.Count > 0 ? teams[random.Next(teams.Count)] : null;
                if (from is not null && to is not null && to.Id != from.Id)
                {
                    RemoveMember(from.Id, user.Id);
                    AddMember(to.Id, user.Id);
                    moves++;
                }
            }

            for (var i = 0; i < each; i++)
            {
                var joiner = AddUser("Joiner", $"Number{seed}x{i}", $"joiner{seed}x{i}@{DemoTeam.Domain}");
                if (teams.Count > 0)
                {
                    AddMember(teams[random.Next(teams.Count)].Id, joiner.Id);
                }
            }

            return new ChurnSummary(each, each, each, moves);
        }
    }

    internal DirectorySnapshot Snapshot()
    {
        lock (gate)
        {
            return snapshot ??= new DirectorySnapshot(users, groups);
        }
    }

    internal void Put(DemoUser user)
    {
        lock (gate)
        {
            users[user.Id] = user;
            snapshot = null;
        }
    }

    internal void Put(DemoGroup group)
    {
        lock (gate)
        {
            groups[group.Id] = group;
            snapshot = null;
        }
    }

    internal string NewId(string alphabet)
    {
        lock (gate)
        {
            while (true)
            {
                var id = string.Create(26, (random, alphabet), static (chars, state) =>
                {
                    for (var i = 0; i < chars.Length; i++)
                    {
                        chars[i] = state.alphabet[state.random.Next(state.alphabet.Length)];
                    }
                });
                if (!users.ContainsKey(id) && !groups.ContainsKey(id))
                {
                    return id;
                }
            }
        }
    }

    internal Random Random => random;

    private DemoUser ChangeUser(string userId, Func<DemoUser, DemoUser> change)
    {
        lock (gate)
        {
            var user = users.GetValueOrDefault(userId) ?? throw new KeyNotFoundException($"No user with id '{userId}'.");
            var changed = change(user) with { LastModified = TimeProvider.GetUtcNow() };
            Put(changed);
            return changed;
        }
    }

    private DemoGroup ChangeGroup(string groupId, Func<DemoGroup, DemoGroup> change)
    {
        lock (gate)
        {
            var group = groups.GetValueOrDefault(groupId) ?? throw new KeyNotFoundException($"No group with id '{groupId}'.");
            var changed = change(group);
            if (changed != group)
            {
                changed = changed with { LastModified = TimeProvider.GetUtcNow() };
                Put(changed);
            }

            return changed;
        }
    }
}
