using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// No false leavers: a stored user or group that an enumeration did not return is asked for by id before it is recorded
/// as removed. The bridge is edited while the enumeration runs, so offsets shift and a page skips a resource that still
/// exists (pages of <see cref="SyncApp.PageSize"/>, 2).
/// </summary>
public sealed class RemovalCheckTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static LiveBridge Team()
    {
        var bridge = new LiveBridge();
        bridge.PutTeamOfFive();
        bridge.PutGroup("G1", "Engineering", "U1", "U3");
        bridge.PutGroup("G2", "Owners", "U2");
        bridge.PutGroup("G3", "Support", "U3", "U4");
        return bridge;
    }

    private async Task<Guid> Synced(LiveBridge bridge)
    {
        var id = await app.RegisterAsync(bridge.Fake);
        var baseline = await app.SyncAsync(id);
        Assert.True(baseline.GetProperty("status").GetString() == "succeeded", baseline.ToString());
        return id;
    }

    private static JsonElement Record(JsonElement run, string resource) => run.GetProperty("completeness").GetProperty(resource);

    [Fact]
    public async Task A_user_a_page_skipped_because_an_earlier_user_was_deleted_and_another_added_is_kept_refreshed_and_counted_as_refuted()
    {
        using var bridge = Team();
        var id = await Synced(bridge);
        var edited = false;
        bridge.BeforePage = (b, resource, start) =>
        {
            if (resource == "Users" && start >= 3 && !edited)
            {
                // U1 was on page 1: deleting it shifts U3 back onto page 1, which was read already; U6 keeps totalResults at 5.
                // Pages 2 and 3 are asked for at once, so the edit comes before whichever of them is answered first.
                edited = true;
                b.RemoveUser("U1");
                b.PutUser("U6", "alan@example.org", "Alan", "Turing");
                b.PutUser("U3", "linus@example.org", "Linus", "Benedict");
            }
        };

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(1, Record(run, "users").GetProperty("removalsRefuted").GetInt32());
        Assert.Equal(0, Record(run, "users").GetProperty("removalsConfirmed").GetInt32());
        Assert.True(run.GetProperty("completeness").GetProperty("complete").GetBoolean(), run.ToString());
        Assert.DoesNotContain(await app.ChangeEventsAsync(id), e => e.StartsWith("user_removed", StringComparison.Ordinal));
        Assert.Contains("user_renamed:U3", await app.ChangeEventsAsync(id));
        Assert.Equal(["Benedict"], await app.QueryAsync("SELECT family_name FROM directory_users WHERE connection_id = @c AND scim_id = 'U3' AND removed_at IS NULL", id));
    }

    [Fact]
    public async Task A_user_the_bridge_answers_404_for_is_recorded_removed_and_counted_as_confirmed()
    {
        using var bridge = Team();
        var id = await Synced(bridge);
        bridge.RemoveUser("U2");

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(1, Record(run, "users").GetProperty("removalsConfirmed").GetInt32());
        Assert.Equal(0, Record(run, "users").GetProperty("removalsRefuted").GetInt32());
        Assert.Contains("user_removed:U2", await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid()));
        Assert.Equal(bridge.UserRows(), await app.CurrentUsersAsync(id));
    }

    [Fact]
    public async Task A_group_a_page_skipped_is_kept_with_its_members_and_a_deleted_group_is_removed()
    {
        using var bridge = Team();
        bridge.PutGroup("G5", "Contractors", "U5");
        var id = await Synced(bridge);
        bridge.RemoveGroup("G5");
        var edited = false;
        bridge.BeforePage = (b, resource, start) =>
        {
            if (resource == "Groups" && start == 3 && !edited)
            {
                // G1 deleted after page 1 shifts G3 onto page 1, which was read already; G4 keeps totalResults at 3.
                edited = true;
                b.RemoveGroup("G1");
                b.PutGroup("G4", "Sales", "U5");
            }
        };

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(1, Record(run, "groups").GetProperty("removalsRefuted").GetInt32());
        Assert.Equal(1, Record(run, "groups").GetProperty("removalsConfirmed").GetInt32());
        Assert.Equal(["group_added:G4", "group_removed:G5", "membership_added:U5", "membership_removed:U5"],
            (await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid())).Order(StringComparer.Ordinal));
        Assert.Equal(["G1>U1", "G1>U3", "G2>U2", "G3>U3", "G3>U4", "G4>U5"], await app.CurrentMembershipsAsync(id));
    }

    [Fact]
    public async Task Any_other_answer_to_a_removal_check_fails_the_run_and_changes_nothing()
    {
        using var bridge = Team();
        var id = await Synced(bridge);
        bridge.RemoveUser("U2");
        bridge.LookupStatus = (resource, user) => user == "U2" ? 500 : null;
        var before = await app.StoredDirectoryAsync(id);

        var run = await app.SyncAsync(id);

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("/scim/Users/U2", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(run.GetProperty("completeness").GetProperty("complete").GetBoolean());
        Assert.Equal(before, await app.StoredDirectoryAsync(id));
    }

    [Fact]
    public async Task Removal_checks_run_side_by_side_but_never_more_than_MaxConcurrentRequests_at_once()
    {
        using var bridge = Team();
        bridge.PutUsers(Enumerable.Range(10, 10));

        var id = await Synced(bridge);
        for (var i = 10; i < 20; i++)
        {
            bridge.RemoveUser($"U{i}");
        }

        var run = await WithLookupsReleasedOneByOne(bridge, 10, () => app.SyncAsync(id));

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(4, bridge.MaxLookupsInFlight);
        Assert.Equal(10, Record(run, "users").GetProperty("removalsConfirmed").GetInt32());
    }

    [Fact]
    public async Task Member_lists_of_groups_listed_without_them_are_read_side_by_side_within_the_same_bound()
    {
        using var bridge = Team();
        bridge.ListGroupsWithoutMembers = true;
        for (var i = 10; i < 16; i++)
        {
            bridge.PutGroup($"G{i}", $"Team {i}", "U1");
        }

        var id = await app.RegisterAsync(bridge.Fake);
        var run = await WithLookupsReleasedOneByOne(bridge, 9, () => app.SyncAsync(id));

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(4, bridge.MaxLookupsInFlight);
        Assert.Equal(9, Record(run, "groups").GetProperty("memberListsRead").GetInt32());
        Assert.Equal(bridge.MembershipRows(), await app.CurrentMembershipsAsync(id));
    }

    /// <summary>
    /// Holds every single-resource read until the test lets one go, and lets one go only once as many are in flight as
    /// the bound (4) allows: a sync that read them one at a time would never get there, one without a bound would exceed it.
    /// </summary>
    private static async Task<JsonElement> WithLookupsReleasedOneByOne(LiveBridge bridge, int lookups, Func<Task<JsonElement>> sync)
    {
        using var gate = new SemaphoreSlim(0);
        bridge.LookupGate = gate;
        var running = sync();
        for (var released = 0; released < lookups; released++)
        {
            var expected = Math.Min(4, lookups - released);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (bridge.LookupsInFlight < expected)
            {
                Assert.True(DateTime.UtcNow < deadline, $"Only {bridge.LookupsInFlight} reads were in flight, {expected} expected.");
                await Task.Delay(10);
            }

            gate.Release();
        }

        var run = await running;
        bridge.LookupGate = null;
        return run;
    }
}

/// <summary>A run may confirm at most two removals one by one.</summary>
public sealed class RemovalCheckCapApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings, new("Sync:MaxRemovalChecks", "2")];
}

public sealed class RemovalCheckCapTests(RemovalCheckCapApp app) : IClassFixture<RemovalCheckCapApp>
{
    [Fact]
    public async Task Past_MaxRemovalChecks_the_run_fails_with_a_message_naming_the_setting_asks_nothing_and_changes_nothing()
    {
        using var bridge = new LiveBridge();
        bridge.PutUsers(Enumerable.Range(1, 5));

        var id = await app.RegisterAsync(bridge.Fake);
        await app.SyncAsync(id);
        bridge.RemoveUser("U1");
        bridge.RemoveUser("U2");
        bridge.RemoveUser("U3");
        var before = await app.StoredDirectoryAsync(id);

        var run = await app.SyncAsync(id);

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("3 stored users and 0 stored groups", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("Sync:MaxRemovalChecks", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(bridge.Fake.Server.LogEntries, e => e.RequestMessage.Path.StartsWith("/scim/Users/", StringComparison.Ordinal));
        Assert.Equal(before, await app.StoredDirectoryAsync(id));
    }
}
