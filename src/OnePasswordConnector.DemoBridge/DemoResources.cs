using System.Collections.Immutable;

namespace OnePasswordConnector.DemoBridge;

/// <summary>A 1Password user as the bridge serves it. <see cref="UserName"/> is the email, as on 1Password.</summary>
public sealed record DemoUser(
    string Id,
    string UserName,
    string GivenName,
    string FamilyName,
    string DisplayName,
    string Email,
    bool Active,
    DateTimeOffset Created,
    DateTimeOffset LastModified);

/// <summary>A 1Password group; <see cref="MemberIds"/> are user ids in the order they joined.</summary>
public sealed record DemoGroup(
    string Id,
    string DisplayName,
    ImmutableArray<string> MemberIds,
    DateTimeOffset Created,
    DateTimeOffset LastModified);

/// <summary>What <see cref="DemoDirectory.Churn"/> changed.</summary>
public sealed record ChurnSummary(int Added, int Removed, int Deactivated, int MembershipMoves);

/// <summary>The SCIM resource types the bridge lists.</summary>
public enum DemoResourceType
{
    User,
    Group,
}

/// <summary>One consistent, read-only view of the directory, rebuilt lazily after a change.</summary>
internal sealed class DirectorySnapshot
{
    public DirectorySnapshot(Dictionary<string, DemoUser> users, Dictionary<string, DemoGroup> groups)
    {
        UserById = new Dictionary<string, DemoUser>(users, StringComparer.Ordinal);
        GroupById = new Dictionary<string, DemoGroup>(groups, StringComparer.Ordinal);
        Users = [.. users.Values.OrderBy(u => u.Id, StringComparer.Ordinal)];
        Groups = [.. groups.Values.OrderBy(g => g.Id, StringComparer.Ordinal)];
    }

    public DemoUser[] Users { get; }
    public DemoGroup[] Groups { get; }
    public Dictionary<string, DemoUser> UserById { get; }
    public Dictionary<string, DemoGroup> GroupById { get; }
}
