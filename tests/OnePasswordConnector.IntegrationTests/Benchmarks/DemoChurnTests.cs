using OnePasswordConnector.DemoBridge;

namespace OnePasswordConnector.IntegrationTests.Benchmarks;

/// <summary>The demo bridge's churn, which the benchmark's 1 % change re-sync measures at every size up to XL.</summary>
public sealed class DemoChurnTests
{
    [Fact]
    public void Churn_removes_leavers_from_every_group_deactivates_moves_and_adds_joiners_in_equal_parts()
    {
        var directory = DemoDirectory.Generate(users: 2_000, groups: 40, seed: 3, membershipsPerUser: 3, everyoneGroup: true);
        var before = directory.Users.ToDictionary(u => u.Id);
        var groupsBefore = directory.Groups.ToDictionary(g => g.Id, g => g.MemberIds.ToHashSet());

        var summary = directory.Churn(0.04, seed: 11);

        // 4 % of the 1,920 active people (the Provision Manager never churns), a quarter each: 19 joiners, leavers, deactivations and (at most) moves.
        Assert.Equal(new ChurnSummary(19, 19, 19, summary.MembershipMoves), summary);
        Assert.InRange(summary.MembershipMoves, 15, 19);
        var after = directory.Users.ToDictionary(u => u.Id);
        var removed = before.Keys.Where(id => !after.ContainsKey(id)).ToList();
        Assert.Equal(19, removed.Count);
        Assert.All(directory.Groups, g => Assert.DoesNotContain(g.MemberIds, removed.Contains));
        Assert.Equal(19, after.Values.Count(u => before.TryGetValue(u.Id, out var was) && was.Active && !u.Active));
        var joiners = after.Values.Where(u => !before.ContainsKey(u.Id)).ToList();
        Assert.Equal(19, joiners.Count);
        Assert.All(joiners, j => Assert.Contains(directory.Groups, g => g.MemberIds.Contains(j.Id)));
        var everyone = directory.FindGroupByName("Everyone")!;
        Assert.Equal(groupsBefore[everyone.Id].Count - 19, everyone.MemberIds.Length);

        // Movers leave one team group for another (people who stayed), so some team groups change beyond the leavers.
        var stayed = before.Keys.Where(after.ContainsKey).ToHashSet();
        var teams = directory.Groups.Where(g => g.DisplayName is not ("Owners" or "Administrators" or "Provision Managers" or "Everyone")).ToList();
        var changedTeams = teams.Count(g => !groupsBefore[g.Id].Where(stayed.Contains).ToHashSet().SetEquals(g.MemberIds.Where(stayed.Contains)));
        Assert.True(changedTeams > 0, "some team groups gained or lost a mover");
    }
}
