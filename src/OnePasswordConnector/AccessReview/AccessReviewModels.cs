using System.Text.Json;

namespace OnePasswordConnector.AccessReview;

/// <summary>One page of a list, in a stable order.</summary>
/// <param name="Items">This page's items.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page.</param>
/// <param name="AsOfSync">With <c>asOf</c>: the instant of the sync the answer comes from (the last complete sync at or before asOf).</param>
public sealed record PageResponse<T>(IReadOnlyList<T> Items, string? NextCursor, DateTimeOffset? AsOfSync);

/// <summary>A group a user belongs to.</summary>
public sealed record GroupRef(string Id, string DisplayName);

/// <summary>A person in the 1Password account, as synced.</summary>
/// <param name="Status">The 1Password account state where the bridge reports one, else active or inactive.</param>
/// <param name="LastSeenAt">When the last successful sync still saw the user (for removed users: the last sync that did).</param>
/// <param name="RemovedAt">When a complete sync first no longer saw the user; null while they are in 1Password.</param>
/// <param name="Groups">The groups the user belongs to, by name.</param>
public sealed record UserResponse(
    string Id,
    string UserName,
    string? DisplayName,
    string? GivenName,
    string? FamilyName,
    string? PrimaryEmail,
    string[] Emails,
    bool Active,
    string Status,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset LastSeenAt,
    DateTimeOffset? RemovedAt,
    IReadOnlyList<GroupRef> Groups);

/// <summary>One person with every change recorded for them, newest first.</summary>
public sealed record UserDetailResponse(UserResponse User, IReadOnlyList<ChangeResponse> History);

/// <summary>A group and how many users are directly in it.</summary>
public sealed record GroupResponse(string Id, string DisplayName, int MemberCount, DateTimeOffset FirstSeenAt);

/// <summary>A user in a group.</summary>
/// <param name="MemberSince">When the current membership period began (the sync that first saw it).</param>
public sealed record MemberResponse(string Id, string UserName, string? DisplayName, string? PrimaryEmail, bool Active, string Status, DateTimeOffset MemberSince);

/// <summary>One change a sync saw.</summary>
/// <param name="Kind">user_added, user_removed, user_reactivated, user_deactivated, user_renamed, user_email_changed,
/// user_state_changed, user_external_id_changed, group_added, group_removed, group_renamed, group_external_id_changed,
/// membership_added or membership_removed.</param>
/// <param name="SubjectId">The user or group the change is about (the member, for membership changes).</param>
public sealed record ChangeResponse(
    long Id,
    DateTimeOffset OccurredAt,
    Guid SyncRunId,
    string Kind,
    string SubjectId,
    string? SubjectName,
    string? GroupId,
    string? GroupName,
    JsonElement? Before,
    JsonElement? After);

/// <summary>One line of the review sheet: a user and one group they belong to, or a user in no group (group fields null).</summary>
/// <param name="MemberSince">When the membership's current period began.</param>
public sealed record AccessReviewRow(
    string UserId,
    string UserName,
    string? DisplayName,
    string? PrimaryEmail,
    string[] Emails,
    string Status,
    bool Active,
    DateTimeOffset FirstSeenAt,
    string? GroupId,
    string? GroupName,
    DateTimeOffset? MemberSince);

/// <summary>The red flags a reviewer looks at first.</summary>
/// <param name="UsersByStatus">Users in 1Password now, counted by status.</param>
/// <param name="RemovedUsers">Users no longer in 1Password (kept for history).</param>
/// <param name="PrivilegedGroups">Members of 1Password's Owners and Administrators groups.</param>
/// <param name="InactiveUsersWithMemberships">Users who are not active but still belong to groups.</param>
/// <param name="Since">The start of the added/removed window.</param>
/// <param name="LastSuccessfulSyncAgeHours">Hours since the last successful sync; null before the first one.</param>
public sealed record SummaryResponse(
    IReadOnlyDictionary<string, int> UsersByStatus,
    int RemovedUsers,
    int Groups,
    int Memberships,
    IReadOnlyList<PrivilegedGroupResponse> PrivilegedGroups,
    InactiveMembersResponse InactiveUsersWithMemberships,
    DateTimeOffset Since,
    int UsersAddedSince,
    int UsersRemovedSince,
    DateTimeOffset? LastSuccessfulSyncAt,
    double? LastSuccessfulSyncAgeHours);

/// <summary>A privileged group and the userNames of its members.</summary>
public sealed record PrivilegedGroupResponse(string GroupId, string GroupName, string[] Members);

/// <summary>How many inactive users still hold memberships, and the first 100 of them by userName.</summary>
public sealed record InactiveMembersResponse(int Count, IReadOnlyList<InactiveMemberResponse> Users);

/// <summary>An inactive user and the groups they still belong to.</summary>
public sealed record InactiveMemberResponse(string Id, string UserName, string Status, string[] Groups);
