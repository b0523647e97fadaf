using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Reviews;

namespace OnePasswordConnector.Tests.Reviews;

public sealed class ReviewDiffTests
{
    private static readonly DateTimeOffset Seen = new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);

    private static AccessReviewRow Row(string user, bool active = true, string? group = null, string? groupName = null, params GroupRef[] via) =>
        new(user, user + "@example.org", user, user + "@example.org", [user + "@example.org"], active ? "active" : "inactive", active, Seen,
            group, groupName, group is null ? null : Seen, via);

    [Fact]
    public void A_grant_of_a_privileged_group_is_listed_as_a_grant_and_again_as_a_privileged_grant_and_counted_under_both()
    {
        var changes = ReviewDiff.Between([Row("ada", group: "g1", groupName: "Administrators")], [Row("ada")]);

        Assert.Equal(["membership_grant", "privileged_grant"], changes.Select(c => c.Kind));
        var counts = ReviewDiff.Counts(changes);
        Assert.Equal(ReviewDiff.Kinds, counts.Keys);
        Assert.Equal(1, counts["privileged_grant"]);
        Assert.Equal(0, counts["joiner"]);
    }

    [Fact]
    public void A_population_against_no_earlier_review_is_all_joiners_and_grants()
    {
        var changes = ReviewDiff.Between([Row("ada", group: "g2", groupName: "Engineering"), Row("bob")], []);

        Assert.Equal(["joiner:ada", "joiner:bob", "membership_grant:ada"], changes.Select(c => $"{c.Kind}:{c.UserId}"));
    }

    [Fact]
    public void A_sheet_line_is_new_changed_or_unchanged_against_the_earlier_sheet_by_user_and_group()
    {
        var earlier = ReviewDiff.Index([Row("ada", group: "g2", groupName: "Engineering"), Row("bob", group: "g2", groupName: "Engineering")]);

        Assert.Equal("unchanged", ReviewDiff.SinceLastReview(Row("ada", group: "g2", groupName: "Engineering"), earlier));
        Assert.Equal("changed", ReviewDiff.SinceLastReview(Row("bob", active: false, group: "g2", groupName: "Engineering"), earlier));
        Assert.Equal("changed", ReviewDiff.SinceLastReview(Row("ada", group: "g2", groupName: "Engineering", via: [new GroupRef("g9", "Nested")]), earlier));
        Assert.Equal("new", ReviewDiff.SinceLastReview(Row("ada", group: "g3", groupName: "Sales"), earlier));
        Assert.Equal("new", ReviewDiff.SinceLastReview(Row("ada"), null));
    }
}
