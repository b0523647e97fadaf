namespace OnePasswordConnector.Persistence;

// The directory as last synced ("current" tables) plus closed periods of earlier states ("history" tables).
// A row's current state is valid from ValidFrom until RemovedAt (or now); a change moves the old state into
// history with [ValidFrom, ValidTo). A first sync therefore writes each row once, and an unchanged re-sync none.

/// <summary>What a sync keeps of a user in columns: the current row and every historical version have them all.</summary>
internal abstract class UserAttributes
{
    public Guid ConnectionId { get; set; }
    public required string ScimId { get; set; }
    public string? ExternalId { get; set; }
    public required string UserName { get; set; }
    public string? GivenName { get; set; }
    public string? FamilyName { get; set; }
    public string? FormattedName { get; set; }
    public string? DisplayName { get; set; }
    public string? PrimaryEmail { get; set; }
    public string[] Emails { get; set; } = [];
    public bool Active { get; set; }

    /// <summary>The 1Password account state where the bridge reports one (for example <c>suspended</c>).</summary>
    public string? State { get; set; }
}

internal sealed class DirectoryUser : UserAttributes
{
    public DateTimeOffset? ScimCreatedAt { get; set; }
    public DateTimeOffset? ScimLastModifiedAt { get; set; }
    public required string Raw { get; set; }
    public required byte[] ContentHash { get; set; }
    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset? RemovedAt { get; set; }
}

internal sealed class UserVersion : UserAttributes
{
    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset ValidTo { get; set; }
}

internal sealed class DirectoryGroup
{
    public Guid ConnectionId { get; set; }
    public required string ScimId { get; set; }
    public required string DisplayName { get; set; }
    public string? ExternalId { get; set; }
    public DateTimeOffset? ScimCreatedAt { get; set; }
    public DateTimeOffset? ScimLastModifiedAt { get; set; }
    public required string Raw { get; set; }
    public required byte[] ContentHash { get; set; }

    /// <summary>A digest of the member list, so a sync restages members only for groups whose members changed; null when unknown.</summary>
    public byte[]? MembersHash { get; set; }

    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset? RemovedAt { get; set; }
}

internal sealed class GroupVersion
{
    public Guid ConnectionId { get; set; }
    public required string ScimId { get; set; }
    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset ValidTo { get; set; }
    public required string DisplayName { get; set; }
}

/// <summary>A member (user, or group for nested groups) of a group, current or in a closed period.</summary>
internal abstract class MemberOf
{
    public Guid ConnectionId { get; set; }
    public required string GroupId { get; set; }
    public required string MemberId { get; set; }
    public required string MemberType { get; set; }
    public DateTimeOffset ValidFrom { get; set; }
}

internal sealed class Membership : MemberOf
{
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset? RemovedAt { get; set; }
}

internal sealed class MembershipPeriod : MemberOf
{
    public DateTimeOffset ValidTo { get; set; }
}

internal sealed class ChangeEvent
{
    public long Id { get; set; }
    public Guid ConnectionId { get; set; }
    public Guid SyncRunId { get; set; }
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>user_added, user_removed, user_reactivated, user_deactivated, user_renamed, user_email_changed,
    /// user_state_changed, user_external_id_changed, group_added, group_removed, group_renamed, group_external_id_changed,
    /// membership_added, membership_removed.</summary>
    public required string Kind { get; set; }

    public required string SubjectId { get; set; }
    public string? SubjectName { get; set; }
    public string? GroupId { get; set; }
    public string? GroupName { get; set; }
    public string? Before { get; set; }
    public string? After { get; set; }
}
