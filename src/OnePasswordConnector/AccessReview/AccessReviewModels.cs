using System.Text.Json;

namespace OnePasswordConnector.AccessReview;

/// <summary>One page of a list, in a stable order.</summary>
/// <param name="Items">This page's items.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page.</param>
/// <param name="AsOfSync">With <c>asOf</c>: the instant of the sync the answer comes from (the last complete sync at or before asOf).</param>
public sealed record PageResponse<T>(IReadOnlyList<T> Items, string? NextCursor, DateTimeOffset? AsOfSync);

/// <summary>A group, by id and name.</summary>
public sealed record GroupRef(string Id, string DisplayName);

/// <summary>A group a user holds, directly or through groups nested in it.</summary>
/// <param name="Via">The chain of nested groups through which the user holds it, outermost first, ending with the group
/// that lists the user; empty when the group lists the user directly.</param>
public sealed record UserGroup(string Id, string DisplayName, IReadOnlyList<GroupRef> Via);

/// <summary>A person in the 1Password account, as synced.</summary>
/// <param name="Status">The 1Password account state where the bridge reports one, else active or inactive.</param>
/// <param name="LastSeenAt">When the last successful sync still saw the user (for removed users: the last sync that did).</param>
/// <param name="RemovedAt">When a complete sync first no longer saw the user; null while they are in 1Password.</param>
/// <param name="Groups">The groups the user holds, directly or through nested groups, by name.</param>
/// <param name="SignIns">The user's sign-ins from the 1Password Events API; null where the connection collects none (no events token, or asOf before collection began).</param>
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
    IReadOnlyList<UserGroup> Groups,
    SignInActivity? SignIns = null);

/// <summary>A user's sign-ins as the 1Password Events API reported them, as of the answer's instant.</summary>
/// <param name="LastSignInAt">The last successful sign-in; null when there was none since <paramref name="SignInsKnownSince"/>.</param>
/// <param name="LastFailedSignInAt">The last failed sign-in (any category but success and firewall_reported_success).</param>
/// <param name="LastFailedSignInCategory">Its category: credentials_failed, mfa_failed, sso_failed, modern_version_failed or firewall_failed.</param>
/// <param name="SignInsLast30Days">Successful sign-ins in the 30 days before the answer's instant.</param>
/// <param name="MfaFailuresLast30Days">mfa_failed attempts in those 30 days.</param>
/// <param name="SignInsKnownSince">From when sign-ins are known: "no sign-in" means none since then.</param>
public sealed record SignInActivity(
    DateTimeOffset? LastSignInAt,
    DateTimeOffset? LastFailedSignInAt,
    string? LastFailedSignInCategory,
    int SignInsLast30Days,
    int MfaFailuresLast30Days,
    DateTimeOffset SignInsKnownSince);

/// <summary>One person with every change recorded for them, newest first.</summary>
public sealed record UserDetailResponse(UserResponse User, IReadOnlyList<ChangeResponse> History);

/// <summary>A group and how many users hold it.</summary>
/// <param name="MemberCount">The users its member list shows: known users, direct or through nested groups, each once.</param>
public sealed record GroupResponse(string Id, string DisplayName, int MemberCount, DateTimeOffset FirstSeenAt);

/// <summary>A user who holds a group, directly or through groups nested in it.</summary>
/// <param name="MemberSince">When the current membership period began (the sync that first saw it); through nested
/// groups, when the whole chain first held (the latest start of its links).</param>
/// <param name="Via">The chain of nested groups through which the user holds the group, outermost first; empty for a
/// direct member.</param>
public sealed record MemberResponse(
    string Id, string UserName, string? DisplayName, string? PrimaryEmail, bool Active, string Status, DateTimeOffset MemberSince,
    IReadOnlyList<GroupRef> Via);

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

/// <summary>One line of the review sheet: a user and one group they hold, or a user in no group (group fields null).</summary>
/// <param name="MemberSince">When the membership's current period began (through nested groups: the latest start of the chain's links).</param>
/// <param name="Via">The chain of nested groups through which the user holds the group, outermost first; empty for a
/// direct member and for a user in no group.</param>
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
    DateTimeOffset? MemberSince,
    IReadOnlyList<GroupRef> Via,
    SignInActivity? SignIns = null);

/// <summary>The red flags a reviewer looks at first.</summary>
/// <param name="UsersByStatus">Users in 1Password now, counted by status.</param>
/// <param name="RemovedUsers">Users no longer in 1Password (kept for history).</param>
/// <param name="PrivilegedGroups">Members of 1Password's Owners and Administrators groups, direct or through nested groups.</param>
/// <param name="Memberships">The (user, group) pairs the review sheet lists: each group's member count, added up.</param>
/// <param name="InactiveUsersWithMemberships">Users who are not active but still belong to groups.</param>
/// <param name="Since">The start of the added/removed window.</param>
/// <param name="LastSuccessfulSyncAgeHours">Hours since the last successful sync; null before the first one.</param>
/// <param name="SignIns">Dormant accounts and repeated MFA failures; null where the connection collects no sign-ins.</param>
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
    double? LastSuccessfulSyncAgeHours,
    SignInSummaryResponse? SignIns = null);

/// <summary>The sign-in red flags over the users in 1Password now.</summary>
/// <param name="DormantUsers">Active users with no successful sign-in in <paramref name="DormantDays"/> days, where sign-ins are known that far back.</param>
/// <param name="UsersWithRepeatedMfaFailures">Users with at least <paramref name="RepeatedMfaFailures"/> mfa_failed attempts in the last 30 days.</param>
public sealed record SignInSummaryResponse(
    DateTimeOffset SignInsKnownSince,
    int DormantDays,
    int DormantUsers,
    int RepeatedMfaFailures,
    int UsersWithRepeatedMfaFailures);

/// <summary>A privileged group and its members.</summary>
/// <param name="Members">The userNames of the users who hold it, directly or through nested groups.</param>
/// <param name="MemberDetails">The same users in the same order, each with the chain of groups they hold it through.</param>
public sealed record PrivilegedGroupResponse(string GroupId, string GroupName, string[] Members, IReadOnlyList<PrivilegedMemberResponse> MemberDetails);

/// <summary>A user who holds a privileged group.</summary>
/// <param name="Via">The chain of nested groups through which the user holds it, outermost first; empty for a direct member.</param>
public sealed record PrivilegedMemberResponse(string Id, string UserName, IReadOnlyList<GroupRef> Via);

/// <summary>How many inactive users still hold memberships, and the first 100 of them by userName.</summary>
public sealed record InactiveMembersResponse(int Count, IReadOnlyList<InactiveMemberResponse> Users);

/// <summary>An inactive user and the groups they still belong to.</summary>
public sealed record InactiveMemberResponse(string Id, string UserName, string Status, string[] Groups);
