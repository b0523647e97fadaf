using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace OnePasswordConnector.Reviews;

/// <summary>Start a review: freeze the population of the last complete sync at or before <c>asOf</c>.</summary>
/// <param name="Name" example="Q3 2026 access review">A label for people, at most 200 characters.</param>
/// <param name="AsOf" example="2026-09-30T23:59:59Z">Pin the last succeeded, complete sync that had finished by this instant (default: now).</param>
public sealed record CreateReviewRequest(
    [property: Required(AllowEmptyStrings = true, ErrorMessage = ReviewNameAttribute.Message), ReviewName] string? Name,
    DateTimeOffset? AsOf);

/// <summary>How many people and grants the pinned run holds.</summary>
/// <param name="Users">Users in 1Password at the pinned run.</param>
/// <param name="Active">Of them, those whose status is active.</param>
/// <param name="Memberships">The (user, group) pairs of the review sheet, direct or through nested groups.</param>
/// <param name="PrivilegedMembers">Distinct users who hold Owners or Administrators.</param>
public sealed record ReviewPopulation(int Users, int Active, int Groups, int Memberships, int PrivilegedMembers);

/// <summary>A review: a population frozen at one complete sync run.</summary>
/// <param name="SyncRunId">The pinned run: every answer of this review comes from its snapshot.</param>
/// <param name="AsOf">The instant asked for.</param>
/// <param name="RunFinishedAt">When the pinned run finished: the snapshot's instant.</param>
/// <param name="Completeness">The pinned run's completeness record, verbatim ({} when the run recorded none).</param>
/// <param name="PreviousReviewId">The review of this connection created just before this one; null for the first.</param>
/// <param name="CreatedBy">The name of the API key that created it.</param>
public sealed record ReviewResponse(
    Guid Id,
    Guid ConnectionId,
    string Name,
    Guid SyncRunId,
    DateTimeOffset AsOf,
    DateTimeOffset RunFinishedAt,
    JsonElement Completeness,
    ReviewPopulation Population,
    Guid? PreviousReviewId,
    string CreatedBy,
    DateTimeOffset CreatedAt);

/// <summary>A page of reviews, newest first.</summary>
public sealed record ReviewPage(IReadOnlyList<ReviewResponse> Items, string? NextCursor);

/// <summary>One line of a review's sheet, and how it compares with the previous review.</summary>
/// <param name="SinceLastReview">new (the previous review had no such user and group line, or there is no previous
/// review), changed (it had the line, but the user's name, emails or status, the group's name or the nesting chain
/// differ) or unchanged.</param>
/// <param name="SignIns">The user's sign-ins as the connector knew them at the pinned run; null where it collected none.</param>
public sealed record ReviewSheetRow(
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
    IReadOnlyList<AccessReview.GroupRef> Via,
    string SinceLastReview,
    AccessReview.SignInActivity? SignIns);

/// <summary>A page of a review's sheet.</summary>
public sealed record ReviewSheetPage(IReadOnlyList<ReviewSheetRow> Items, string? NextCursor, DateTimeOffset AsOfSync);

/// <summary>One difference between two reviews' populations.</summary>
/// <param name="Kind">joiner, leaver, activation, deactivation, membership_grant, membership_revocation, privileged_grant or privileged_revocation.</param>
/// <param name="GroupId">For grants and revocations: the group.</param>
public sealed record ReviewChange(string Kind, string UserId, string UserName, string? GroupId, string? GroupName);

/// <summary>What changed between two reviews.</summary>
/// <param name="AgainstReviewId">The earlier review compared with; null when there is none (everything is new).</param>
/// <param name="Counts">How many changes of each kind, every kind listed.</param>
/// <param name="Changes">Every change, by kind, then userName, user id and group id.</param>
public sealed record ReviewDiffResponse(Guid ReviewId, Guid? AgainstReviewId, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<ReviewChange> Changes);

/// <summary>A review's name: never blank, at most 200 characters.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class ReviewNameAttribute() : ValidationAttribute(Message)
{
    public const string Message = "The name is required and must be at most 200 characters.";

    public override bool IsValid(object? value) => value is not string name || (!string.IsNullOrWhiteSpace(name) && name.Trim().Length <= 200);
}
