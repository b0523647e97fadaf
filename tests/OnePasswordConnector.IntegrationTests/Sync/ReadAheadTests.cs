using OnePasswordConnector.TestSupport;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>A run keeps its bridge busy: users are listed while the groups are still being read and staged.</summary>
public sealed class ReadAheadTests(SyncApp app) : IClassFixture<SyncApp>
{
    [Fact]
    public async Task Users_are_listed_while_the_groups_page_is_still_unanswered_and_the_run_stores_everything()
    {
        using var bridge = new LiveBridge();
        bridge.PutUsers(Enumerable.Range(1, 5));

        using var lastUsersPageAsked = new ManualResetEventSlim();
        bridge.BeforePage = (_, resource, startIndex) =>
        {
            if (resource == "Users" && startIndex == 5)
            {
                lastUsersPageAsked.Set();
            }
        };
        var usersListedMeanwhile = false;
        // The groups page is held until every users page was asked for, or 10 s: a run that lists users only after
        // its groups would never ask.
        bridge.Fake.Authorized("/scim/Groups", priority: 10).RespondWith(Response.Create().WithCallback(_ =>
        {
            usersListedMeanwhile = lastUsersPageAsked.Wait(TimeSpan.FromSeconds(10));
            return FakeBridge.JsonMessage(ScimPayload.ListResponse([ScimPayload.Group("G1", "Engineering", "U1", "U2")], 1, 1));
        }));
        var id = await app.RegisterAsync(bridge.Fake);

        var run = await app.SyncAsync(id);

        Assert.True(usersListedMeanwhile);
        Assert.True(run.GetProperty("completeness").GetProperty("complete").GetBoolean(), run.ToString());
        Assert.Equal(["U1", "U2", "U3", "U4", "U5"], (await app.CurrentUsersAsync(id)).Select(u => u.Split('|')[0]));
        Assert.Equal(["G1>U1", "G1>U2"], await app.CurrentMembershipsAsync(id));
    }
}
