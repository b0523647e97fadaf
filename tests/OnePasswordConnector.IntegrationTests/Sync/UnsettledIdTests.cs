using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// No false "has access": a user or group that only an enumeration pass which saw the directory move returned, and the
/// settled pass after it did not, is looked up by id before it counts as present. Pages of <see cref="SyncApp.PageSize"/>
/// (2): deleting U1 before page 2 moves totalResults, so the pass that read U1 restarts and the next one never sees it.
/// </summary>
public sealed class UnsettledIdTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static LiveBridge Directory()
    {
        var bridge = new LiveBridge();
        bridge.PutTeamOfFive();
        bridge.PutGroup("G1", "Engineering", "U2", "U3");
        bridge.PutGroup("G2", "Owners", "U4");
        bridge.PutGroup("G3", "Support", "U5");
        return bridge;
    }

    /// <summary>Deletes the user or group once, just before the first pass asks for its second page.</summary>
    private static void DeleteDuringFirstPass(LiveBridge bridge, string resource, string id)
    {
        var deleted = false;
        bridge.BeforePage = (b, type, start) =>
        {
            if (type == resource && start == 3 && !deleted)
            {
                deleted = true;
                if (resource == "Users")
                {
                    b.RemoveUser(id);
                }
                else
                {
                    b.RemoveGroup(id);
                }
            }
        };
    }

    private static JsonElement Record(JsonElement run, string resource) => run.GetProperty("completeness").GetProperty(resource);

    private static void AssertSucceededComplete(JsonElement run)
    {
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.True(run.GetProperty("completeness").GetProperty("complete").GetBoolean(), run.ToString());
    }

    private static bool Looked(LiveBridge bridge, string path) =>
        bridge.Fake.Server.LogEntries.Any(e => e.RequestMessage.Path == path);

    [Fact]
    public async Task A_user_deleted_before_the_settled_pass_is_looked_up_and_not_stored_and_the_digest_describes_the_stored_population()
    {
        using var bridge = Directory();
        DeleteDuringFirstPass(bridge, "Users", "U1");
        var id = await app.RegisterAsync(bridge.Fake);

        var run = await app.SyncAsync(id);

        AssertSucceededComplete(run);
        Assert.True(Looked(bridge, "/scim/Users/U1"), "GET /Users/U1 was not made.");
        Assert.Equal(1, Record(run, "users").GetProperty("restarts").GetInt32());
        Assert.Equal(1, Record(run, "users").GetProperty("unsettledGone").GetInt32());
        Assert.Equal(0, Record(run, "users").GetProperty("unsettledKept").GetInt32());
        Assert.Equal(bridge.UserRows(), await app.CurrentUsersAsync(id));
        Assert.Equal(["4"], await app.QueryAsync("SELECT users_seen FROM sync_runs WHERE connection_id = @c", id));

        // Another connection to the same bridge, read while nothing moves, stores the same population.
        bridge.BeforePage = null;
        var quiet = await app.SyncAsync(await app.RegisterAsync(bridge.Fake, name: "Acme 1Password, quiet"));
        AssertSucceededComplete(quiet);
        Assert.Equal(quiet.GetProperty("completeness").GetProperty("populationDigest").GetString(),
            run.GetProperty("completeness").GetProperty("populationDigest").GetString());
    }

    [Fact]
    public async Task A_user_the_settled_pass_did_not_see_but_the_bridge_still_has_is_stored_as_the_look_up_answered()
    {
        using var bridge = Directory();
        DeleteDuringFirstPass(bridge, "Users", "U1");
        bridge.LookupStatus = (resource, user) =>
        {
            if (resource == "Users" && user == "U1")
            {
                // Back before the look-up, renamed: the stored user must be the bridge's latest word, not the page's.
                bridge.PutUser("U1", "ada@example.org", "Ada", "Byron");
            }

            return null;
        };
        var id = await app.RegisterAsync(bridge.Fake);

        var run = await app.SyncAsync(id);

        AssertSucceededComplete(run);
        Assert.Equal(1, Record(run, "users").GetProperty("unsettledKept").GetInt32());
        Assert.Equal(0, Record(run, "users").GetProperty("unsettledGone").GetInt32());
        Assert.Equal(["Byron"], await app.QueryAsync(
            "SELECT family_name FROM directory_users WHERE connection_id = @c AND scim_id = 'U1' AND removed_at IS NULL", id));
        Assert.Equal(bridge.UserRows(), await app.CurrentUsersAsync(id));
    }

    [Fact]
    public async Task A_stored_user_only_an_unsettled_pass_returned_is_recorded_removed_after_the_bridge_answers_404()
    {
        using var bridge = Directory();
        var id = await app.RegisterAsync(bridge.Fake);
        AssertSucceededComplete(await app.SyncAsync(id));
        DeleteDuringFirstPass(bridge, "Users", "U1");

        var run = await app.SyncAsync(id);

        AssertSucceededComplete(run);
        Assert.True(Looked(bridge, "/scim/Users/U1"), "GET /Users/U1 was not made.");
        Assert.Equal(1, Record(run, "users").GetProperty("unsettledGone").GetInt32());
        Assert.Equal(1, Record(run, "users").GetProperty("removalsConfirmed").GetInt32());
        Assert.Equal(["user_removed:U1"], await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid()));
        Assert.Equal(bridge.UserRows(), await app.CurrentUsersAsync(id));
    }

    [Fact]
    public async Task A_stored_user_only_an_unsettled_pass_returned_that_the_bridge_still_has_is_kept_and_refreshed()
    {
        using var bridge = Directory();
        var id = await app.RegisterAsync(bridge.Fake);
        AssertSucceededComplete(await app.SyncAsync(id));
        DeleteDuringFirstPass(bridge, "Users", "U1");
        bridge.LookupStatus = (resource, user) =>
        {
            if (resource == "Users" && user == "U1")
            {
                bridge.PutUser("U1", "ada@example.org", "Ada", "Byron");
            }

            return null;
        };

        var run = await app.SyncAsync(id);

        AssertSucceededComplete(run);
        Assert.Equal(1, Record(run, "users").GetProperty("unsettledKept").GetInt32());
        Assert.Equal(1, Record(run, "users").GetProperty("removalsRefuted").GetInt32());
        Assert.Equal(0, Record(run, "users").GetProperty("removalsConfirmed").GetInt32());
        Assert.Equal(["user_renamed:U1"], await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid()));
        Assert.Equal(bridge.UserRows(), await app.CurrentUsersAsync(id));
    }

    [Fact]
    public async Task A_stored_user_only_an_unsettled_pass_returned_stays_untouched_when_the_look_up_fails()
    {
        using var bridge = Directory();
        var id = await app.RegisterAsync(bridge.Fake);
        AssertSucceededComplete(await app.SyncAsync(id));
        var before = await app.StoredDirectoryAsync(id);
        DeleteDuringFirstPass(bridge, "Users", "U1");
        bridge.LookupStatus = (resource, user) => user == "U1" ? 500 : null;

        var run = await app.SyncAsync(id);

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("/scim/Users/U1", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(run.GetProperty("completeness").GetProperty("complete").GetBoolean());
        Assert.Equal(before, await app.StoredDirectoryAsync(id));
    }

    [Fact]
    public async Task A_group_deleted_before_the_settled_pass_is_not_stored_nor_its_members()
    {
        using var bridge = Directory();
        DeleteDuringFirstPass(bridge, "Groups", "G1");
        var id = await app.RegisterAsync(bridge.Fake);

        var run = await app.SyncAsync(id);

        AssertSucceededComplete(run);
        Assert.True(Looked(bridge, "/scim/Groups/G1"), "GET /Groups/G1 was not made.");
        Assert.Equal(1, Record(run, "groups").GetProperty("unsettledGone").GetInt32());
        Assert.Equal(["G2", "G3"], await app.QueryAsync(
            "SELECT scim_id FROM directory_groups WHERE connection_id = @c AND removed_at IS NULL ORDER BY 1", id));
        Assert.Equal(bridge.MembershipRows(), await app.CurrentMembershipsAsync(id));
        Assert.Equal(["2|2"], await app.QueryAsync("SELECT groups_seen, memberships_seen FROM sync_runs WHERE connection_id = @c", id));
    }

    [Fact]
    public async Task A_group_only_an_unsettled_pass_listed_takes_its_members_from_the_users_when_its_look_up_has_none()
    {
        using var bridge = Directory();
        bridge.MembersOnlyOnUsers = true;
        var id = await app.RegisterAsync(bridge.Fake);
        DeleteDuringFirstPass(bridge, "Groups", "G1");
        var groupsEdit = bridge.BeforePage!;
        var groupsSettled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstPages = 0;
        bridge.BeforePage = (b, type, start) =>
        {
            groupsEdit(b, type, start);
            if (type == "Groups" && start == 1 && ++firstPages == 2)
            {
                // The second pass is one page; it is read without G1 before any user is.
                groupsSettled.TrySetResult();
            }
        };
        var back = false;
        bridge.HoldPage = async (type, _) =>
        {
            if (type == "Users")
            {
                await groupsSettled.Task;
                if (!back)
                {
                    // Back before the users are read, so their own group lists are all that says who is in it.
                    back = true;
                    bridge.PutGroup("G1", "Engineering", "U2", "U3");
                }
            }
        };

        var run = await app.SyncAsync(id);

        AssertSucceededComplete(run);
        Assert.Equal(1, Record(run, "groups").GetProperty("unsettledKept").GetInt32());
        Assert.Contains("G1>U2", await app.CurrentMembershipsAsync(id));
        Assert.Equal(bridge.MembershipRows(), await app.CurrentMembershipsAsync(id));
    }

    [Fact]
    public async Task A_stored_group_only_an_unsettled_pass_returned_is_removed_with_its_memberships_after_404()
    {
        using var bridge = Directory();
        var id = await app.RegisterAsync(bridge.Fake);
        AssertSucceededComplete(await app.SyncAsync(id));
        DeleteDuringFirstPass(bridge, "Groups", "G1");

        var run = await app.SyncAsync(id);

        AssertSucceededComplete(run);
        Assert.Equal(1, Record(run, "groups").GetProperty("removalsConfirmed").GetInt32());
        Assert.Equal(["group_removed:G1", "membership_removed:U2", "membership_removed:U3"],
            (await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid())).Order(StringComparer.Ordinal));
        Assert.Equal(bridge.MembershipRows(), await app.CurrentMembershipsAsync(id));
    }
}

public sealed class UnsettledIdCapTests(RemovalCheckCapApp app) : IClassFixture<RemovalCheckCapApp>
{
    [Fact]
    public async Task Ids_only_an_unsettled_pass_returned_count_against_MaxRemovalChecks()
    {
        using var bridge = new LiveBridge();
        bridge.PutUsers(Enumerable.Range(1, 5));

        var id = await app.RegisterAsync(bridge.Fake);
        await app.SyncAsync(id);
        bridge.RemoveUser("U4");
        bridge.RemoveUser("U5");
        var deleted = false;
        bridge.BeforePage = (b, type, start) =>
        {
            if (type == "Users" && start == 3 && !deleted)
            {
                deleted = true;
                b.RemoveUser("U1");
            }
        };
        var before = await app.StoredDirectoryAsync(id);

        var run = await app.SyncAsync(id);

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("2 stored users and 0 stored groups, and 1 more users and groups were listed only while the directory moved",
            run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(bridge.Fake.Server.LogEntries, e => e.RequestMessage.Path.StartsWith("/scim/Users/", StringComparison.Ordinal));
        Assert.Equal(before, await app.StoredDirectoryAsync(id));
    }
}
