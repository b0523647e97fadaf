using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>A run keeps its bridge busy: users are listed while the groups are still being read and staged.</summary>
public sealed class ReadAheadTests(SyncApp app) : IClassFixture<SyncApp>
{
    [Fact]
    public async Task Users_are_listed_while_the_groups_page_is_still_unanswered_and_the_run_stores_everything()
    {
        using var bridge = new LiveBridge();
        foreach (var i in Enumerable.Range(1, 5))
        {
            bridge.PutUser($"U{i}", $"user{i}@example.org", "User", $"{i}");
        }

        bridge.PutGroup("G1", "Engineering", "U1", "U2");
        using var lastUsersPageAsked = new ManualResetEventSlim();
        var usersListedMeanwhile = false;
        bridge.BeforePage = (_, resource, startIndex) =>
        {
            if (resource == "Users" && startIndex == 5)
            {
                lastUsersPageAsked.Set();
            }
            else if (resource == "Groups")
            {
                // The groups page is held until every users page was asked for, or 10 s: a run that lists users only
                // after its groups would never ask.
                usersListedMeanwhile = lastUsersPageAsked.Wait(TimeSpan.FromSeconds(10));
            }
        };
        var id = await app.RegisterAsync(bridge.Fake);

        var run = await app.SyncAsync(id);

        Assert.True(usersListedMeanwhile);
        Assert.True(run.GetProperty("completeness").GetProperty("complete").GetBoolean(), run.ToString());
        Assert.Equal(["U1", "U2", "U3", "U4", "U5"], (await app.CurrentUsersAsync(id)).Select(u => u.Split('|')[0]));
        Assert.Equal(["G1>U1", "G1>U2"], await app.CurrentMembershipsAsync(id));
    }
}
