using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Reviews;

/// <summary>
/// What a reviewer compares between two frozen populations: people who joined, left, were activated or deactivated,
/// and (user, group) grants that appeared or went, with grants of 1Password's privileged groups called out again.
/// A grant is any line of the review sheet, so access through nested groups counts as well.
/// </summary>
internal static class ReviewDiff
{
    public static readonly string[] Kinds =
    [
        "joiner", "leaver", "activation", "deactivation", "membership_grant", "membership_revocation", "privileged_grant", "privileged_revocation",
    ];

    public static List<ReviewChange> Between(IReadOnlyList<AccessReviewRow> current, IReadOnlyList<AccessReviewRow> earlier)
    {
        var now = Users(current);
        var before = Users(earlier);
        var changes = new List<ReviewChange>();
        foreach (var (id, user) in now)
        {
            if (!before.TryGetValue(id, out var was))
            {
                changes.Add(new ReviewChange("joiner", id, user.UserName, null, null));
            }
            else if (was.Active != user.Active)
            {
                changes.Add(new ReviewChange(user.Active ? "activation" : "deactivation", id, user.UserName, null, null));
            }
        }

        changes.AddRange(before.Where(u => !now.ContainsKey(u.Key)).Select(u => new ReviewChange("leaver", u.Key, u.Value.UserName, null, null)));

        var granted = Grants(current);
        var held = Grants(earlier);
        foreach (var grant in granted.Where(g => !held.ContainsKey(g.Key)))
        {
            AddGrant(changes, "membership_grant", "privileged_grant", grant.Value);
        }

        foreach (var grant in held.Where(g => !granted.ContainsKey(g.Key)))
        {
            AddGrant(changes, "membership_revocation", "privileged_revocation", grant.Value);
        }

        return changes.OrderBy(c => Array.IndexOf(Kinds, c.Kind)).ThenBy(c => c.UserName, StringComparer.Ordinal)
            .ThenBy(c => c.UserId, StringComparer.Ordinal).ThenBy(c => c.GroupId, StringComparer.Ordinal).ToList();
    }

    public static Dictionary<string, int> Counts(IEnumerable<ReviewChange> changes)
    {
        var counts = Kinds.ToDictionary(k => k, _ => 0);
        foreach (var change in changes)
        {
            counts[change.Kind]++;
        }

        return counts;
    }

    /// <summary>new, changed or unchanged: how a sheet line compares with the earlier review's line for the same user and group.</summary>
    public static string SinceLastReview(AccessReviewRow row, IReadOnlyDictionary<string, string>? earlier) =>
        earlier is null || !earlier.TryGetValue(Key(row), out var was) ? "new" : was == Fingerprint(row) ? "unchanged" : "changed";

    /// <summary>Each sheet line's fingerprint by its (user, group) key.</summary>
    public static Dictionary<string, string> Index(IEnumerable<AccessReviewRow> sheet)
    {
        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in sheet)
        {
            index[Key(row)] = Fingerprint(row);
        }

        return index;
    }

    private static string Key(AccessReviewRow row) => row.UserId + "\u001f" + row.GroupId;

    private static string Fingerprint(AccessReviewRow row) => string.Join('\u001f', row.UserName, row.DisplayName, row.PrimaryEmail,
        string.Join(';', row.Emails), row.Status, row.Active, row.GroupName, string.Join(';', row.Via.Select(v => v.Id)));

    private static void AddGrant(List<ReviewChange> changes, string kind, string privilegedKind, AccessReviewRow row)
    {
        changes.Add(new ReviewChange(kind, row.UserId, row.UserName, row.GroupId, row.GroupName));
        if (row.GroupName is { } name && PrivilegedGroups.Contains(name))
        {
            changes.Add(new ReviewChange(privilegedKind, row.UserId, row.UserName, row.GroupId, row.GroupName));
        }
    }

    private static Dictionary<string, AccessReviewRow> Users(IEnumerable<AccessReviewRow> sheet)
    {
        var users = new Dictionary<string, AccessReviewRow>(StringComparer.Ordinal);
        foreach (var row in sheet)
        {
            users.TryAdd(row.UserId, row);
        }

        return users;
    }

    private static Dictionary<string, AccessReviewRow> Grants(IEnumerable<AccessReviewRow> sheet) =>
        sheet.Where(r => r.GroupId is not null).ToDictionary(r => r.UserId + "\u001f" + r.GroupId, StringComparer.Ordinal);
}
