using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Sync;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

public sealed class SyncHistoryTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static JsonObject Ada(bool active = true) => ScimPayload.User("UAAAAAAAAAAAAAAAAAAAAAAAAA", "ada@example.org", "Ada", "Lovelace", active);

    private static JsonObject Grace() => ScimPayload.User("UBBBBBBBBBBBBBBBBBBBBBBBBB", "grace@example.org", "Grace", "Hopper");

    private static JsonObject Linus() => ScimPayload.User("UCCCCCCCCCCCCCCCCCCCCCCCCC", "linus@example.org", "Linus", "Torvalds");

    private static FakeBridge Bridge(JsonObject[] users, JsonObject[] groups)
    {
        var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServePaged("Users", users, SyncApp.PageSize);
        bridge.ServePaged("Groups", groups, SyncApp.PageSize);
        bridge.RejectOtherTokens();
        return bridge;
    }

    private static void Reserve(FakeBridge bridge, JsonObject[] users, JsonObject[] groups)
    {
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServePaged("Users", users, SyncApp.PageSize);
        bridge.ServePaged("Groups", groups, SyncApp.PageSize);
        bridge.RejectOtherTokens();
    }

    [Fact]
    public async Task A_first_sync_stores_every_user_group_and_membership_and_reports_counts()
    {
        var owners = ScimPayload.Group("gaaaaaaaaaaaaaaaaaaaaaaaaa", "Owners", "UAAAAAAAAAAAAAAAAAAAAAAAAA");
        var engineering = ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA", "UBBBBBBBBBBBBBBBBBBBBBBBBB", "UCCCCCCCCCCCCCCCCCCCCCCCCC");
        using var bridge = Bridge([Ada(), Grace(), Linus()], [owners, engineering]);
        var id = await app.RegisterAsync(bridge);

        var run = (await app.SyncAsync(id)).Deserialize<SyncRunResponse>(ApiJson.Options)!;

        Assert.Equal(SyncRunStatus.Succeeded, run.Status);
        Assert.Equal(3, run.Users.Seen);
        Assert.Equal(3, run.Users.Added);
        Assert.Equal(2, run.Groups.Added);
        Assert.Equal(4, run.Memberships.Seen);
        Assert.Equal(SyncTrigger.Manual, run.Trigger);
        Assert.Equal(["UAAAAAAAAAAAAAAAAAAAAAAAAA|ada@example.org|True", "UBBBBBBBBBBBBBBBBBBBBBBBBB|grace@example.org|True", "UCCCCCCCCCCCCCCCCCCCCCCCCC|linus@example.org|True"],
            await app.CurrentUsersAsync(id));
        Assert.Equal(4, (await app.CurrentMembershipsAsync(id)).Count);
        var stored = await app.QueryAsync("SELECT given_name, family_name, primary_email, raw->>'userName' FROM directory_users WHERE connection_id = @c AND scim_id = 'UAAAAAAAAAAAAAAAAAAAAAAAAA'", id);
        Assert.Equal(["Ada|Lovelace|ada@example.org|ada@example.org"], stored);

        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var connection = await client.GetFromJsonAsync<ConnectionResponse>($"/api/v1/tenants/acme/connections/{id}", ApiJson.Options);
        Assert.Equal(ConnectionStatus.Healthy, connection!.Status);
        Assert.Equal(SyncRunStatus.Succeeded, connection.LastSync!.Status);
        var provisioning = await client.GetFromJsonAsync<ProvisioningResponse>($"/api/v1/tenants/acme/connections/{id}/provisioning", ApiJson.Options);
        Assert.Equal("2.9.16", provisioning!.BridgeVersion);
        Assert.True(provisioning.TokenAccepted);
        Assert.Equal(["Owners"], provisioning.PrivilegedGroupsExposed);
        Assert.Equal("healthy", provisioning.Health!.Value.GetProperty("reports")[0].GetProperty("state").GetString());
        var runs = await client.GetFromJsonAsync<SyncRunResponse[]>($"/api/v1/tenants/acme/connections/{id}/syncs", ApiJson.Options);
        Assert.Equal(run.Id, runs![0].Id);

        // The first sync is the baseline: everyone is first seen then, and the change feed starts after it.
        Assert.Equal(0, run.ChangeEvents);
        Assert.Empty(await app.ChangeEventsAsync(id));
        Assert.Equal(["1"], await app.QueryAsync("SELECT count(DISTINCT first_seen_at) FROM directory_users WHERE connection_id = @c", id));
    }

    [Fact]
    public async Task A_group_whose_members_come_as_null_keeps_its_memberships()
    {
        var engineering = ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA", "UBBBBBBBBBBBBBBBBBBBBBBBBB");
        using var bridge = Bridge([Ada(), Grace()], [engineering]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        var nullMembers = ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering");
        nullMembers["members"] = null;
        Reserve(bridge, [Ada(), Grace()], [nullMembers]);
        bridge.Authorized("/scim/Groups/gbbbbbbbbbbbbbbbbbbbbbbbbb", priority: 5).RespondWith(FakeBridge.Json(200, nullMembers));

        var run = await app.SyncAsync(id);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(2, (await app.CurrentMembershipsAsync(id)).Count);
        Assert.Empty(await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task Members_of_a_group_the_bridge_stops_listing_members_for_are_kept_not_removed()
    {
        var engineering = ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA", "UBBBBBBBBBBBBBBBBBBBBBBBBB");
        using var bridge = Bridge([Ada(), Grace()], [engineering]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        var withoutMembers = ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering");
        withoutMembers.Remove("members");
        Reserve(bridge, [Ada(), Grace()], [withoutMembers]);
        bridge.Authorized("/scim/Groups/gbbbbbbbbbbbbbbbbbbbbbbbbb", priority: 5).RespondWith(FakeBridge.Json(200, withoutMembers));

        var run = await app.SyncAsync(id);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(2, (await app.CurrentMembershipsAsync(id)).Count);
        Assert.Empty(await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task A_second_sync_of_an_unchanged_bridge_records_no_change_and_no_new_row_version()
    {
        var engineering = ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA", "UBBBBBBBBBBBBBBBBBBBBBBBBB");
        using var bridge = Bridge([Ada(), Grace(), Linus()], [engineering]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        var before = await app.QueryAsync("SELECT scim_id, valid_from FROM directory_users WHERE connection_id = @c ORDER BY 1", id);

        var second = await app.SyncAsync(id);

        Assert.Equal("succeeded", second.GetProperty("status").GetString());
        Assert.Equal(0, second.GetProperty("changeEvents").GetInt32());
        Assert.Empty(await app.ChangeEventsAsync(id, second.GetProperty("id").GetGuid()));
        Assert.Equal(before, await app.QueryAsync("SELECT scim_id, valid_from FROM directory_users WHERE connection_id = @c ORDER BY 1", id));
        Assert.Equal(["0"], await app.QueryAsync("SELECT count(*) FROM user_history WHERE connection_id = @c", id));
    }

    [Fact]
    public async Task Removing_a_user_from_a_group_records_exactly_one_membership_removed_event()
    {
        using var bridge = Bridge([Ada(), Grace()], [ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA", "UBBBBBBBBBBBBBBBBBBBBBBBBB")]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        Reserve(bridge, [Ada(), Grace()], [ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA")]);

        var run = await app.SyncAsync(id);

        Assert.Equal(["membership_removed:UBBBBBBBBBBBBBBBBBBBBBBBBB"], await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid()));
        Assert.Equal(["gbbbbbbbbbbbbbbbbbbbbbbbbb>UAAAAAAAAAAAAAAAAAAAAAAAAA"], await app.CurrentMembershipsAsync(id));
        var removed = await app.QueryAsync("SELECT group_id, member_id FROM memberships WHERE connection_id = @c AND removed_at IS NOT NULL", id);
        Assert.Equal(["gbbbbbbbbbbbbbbbbbbbbbbbbb|UBBBBBBBBBBBBBBBBBBBBBBBBB"], removed);
        var names = await app.QueryAsync("SELECT subject_name, group_name FROM change_events WHERE connection_id = @c AND kind = 'membership_removed'", id);
        Assert.Equal(["grace@example.org|Engineering"], names);
    }

    [Fact]
    public async Task Each_kind_of_change_is_recorded_with_before_and_after_and_the_old_state_goes_to_history()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus()], [ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA")]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        var renamedGrace = ScimPayload.User("UBBBBBBBBBBBBBBBBBBBBBBBBB", "grace@example.org", "Grace", "Murray Hopper");
        var newEmailLinus = ScimPayload.User("UCCCCCCCCCCCCCCCCCCCCCCCCC", "linus@example.org", "Linus", "Torvalds", true, "linus@kernel.example");
        var newcomer = ScimPayload.User("UDDDDDDDDDDDDDDDDDDDDDDDDD", "ken@example.org", "Ken", "Thompson");
        Reserve(bridge, [Ada(active: false), renamedGrace, newEmailLinus, newcomer],
            [ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Platform Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA"), ScimPayload.Group("gccccccccccccccccccccccccc", "Sales")]);

        var run = await app.SyncAsync(id);

        var events = await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid());
        Assert.Equal(
            ["group_added:gccccccccccccccccccccccccc", "group_renamed:gbbbbbbbbbbbbbbbbbbbbbbbbb", "user_added:UDDDDDDDDDDDDDDDDDDDDDDDDD",
             "user_deactivated:UAAAAAAAAAAAAAAAAAAAAAAAAA", "user_email_changed:UCCCCCCCCCCCCCCCCCCCCCCCCC", "user_renamed:UBBBBBBBBBBBBBBBBBBBBBBBBB"],
            events.Order(StringComparer.Ordinal));
        var rename = await app.QueryAsync("SELECT before->>'familyName', after->>'familyName' FROM change_events WHERE connection_id = @c AND kind = 'user_renamed'", id);
        Assert.Equal(["Hopper|Murray Hopper"], rename);
        var history = await app.QueryAsync("SELECT scim_id, family_name, active FROM user_history WHERE connection_id = @c ORDER BY scim_id", id);
        Assert.Equal(["UAAAAAAAAAAAAAAAAAAAAAAAAA|Lovelace|True", "UBBBBBBBBBBBBBBBBBBBBBBBBB|Hopper|True", "UCCCCCCCCCCCCCCCCCCCCCCCCC|Torvalds|True"], history);
        Assert.Equal(["Engineering"], await app.QueryAsync("SELECT display_name FROM group_history WHERE connection_id = @c", id));
    }

    [Fact]
    public async Task A_user_who_disappears_is_marked_removed_only_after_a_complete_enumeration()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);

        // Grace is gone, but the second page fails: nobody may be marked removed.
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        bridge.ServePage("Users", 1, ScimPayload.ListResponse([Ada(), Linus()], 3, 1));
        bridge.ServePage("Users", 3, ScimPayload.Error(500, "boom"), 500);
        bridge.RejectOtherTokens();
        var failed = await app.SyncAsync(id);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("Users page 2", failed.GetProperty("error").GetString(), StringComparison.Ordinal);

        // totalResults says 2 but the page is cut short: incomplete, still nobody removed.
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        bridge.ServePage("Users", 1, ScimPayload.ListResponse([Ada()], 2, 1));
        bridge.ServePage("Users", 2, ScimPayload.ListResponse([], 2, 2));
        bridge.RejectOtherTokens();
        Assert.Equal("failed", (await app.SyncAsync(id)).GetProperty("status").GetString());
        Assert.Equal(3, (await app.CurrentUsersAsync(id)).Count);
        Assert.DoesNotContain(await app.ChangeEventsAsync(id), e => e.StartsWith("user_removed", StringComparison.Ordinal));

        Reserve(bridge, [Ada(), Linus()], []);
        var complete = await app.SyncAsync(id);

        Assert.Equal("succeeded", complete.GetProperty("status").GetString());
        Assert.Equal(1, complete.GetProperty("users").GetProperty("removed").GetInt32());
        Assert.Equal(["user_removed:UBBBBBBBBBBBBBBBBBBBBBBBBB"], await app.ChangeEventsAsync(id, complete.GetProperty("id").GetGuid()));
        Assert.DoesNotContain(await app.CurrentUsersAsync(id), u => u.StartsWith("UBBBBBBBBBBBBBBBBBBBBBBBBB", StringComparison.Ordinal));
        Assert.Equal(["1"], await app.QueryAsync("SELECT count(*) FROM directory_users WHERE connection_id = @c AND removed_at IS NOT NULL", id));

        // Grace comes back: added again, her earlier period kept in history.
        Reserve(bridge, [Ada(), Grace(), Linus()], []);
        var back = await app.SyncAsync(id);
        Assert.Equal(["user_added:UBBBBBBBBBBBBBBBBBBBBBBBBB"], await app.ChangeEventsAsync(id, back.GetProperty("id").GetGuid()));
        Assert.Equal(["1"], await app.QueryAsync("SELECT count(*) FROM user_history WHERE connection_id = @c AND scim_id = 'UBBBBBBBBBBBBBBBBBBBBBBBBB'", id));
    }

    [Fact]
    public async Task A_second_sync_request_while_one_runs_gets_409_and_one_after_it_ends_starts_at_once()
    {
        using var bridge = Bridge([Ada()], []);
        var id = await app.RegisterAsync(bridge);
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/scim/Groups").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithDelay(TimeSpan.FromMilliseconds(1500)).WithStatusCode(200)
                .WithHeader("Content-Type", FakeBridge.ScimJson).WithBody(ScimPayload.ListResponse([], 0, 1).ToJsonString()));
        bridge.ServePaged("Users", [Ada()], SyncApp.PageSize);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var first = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);
        var second = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await Connections.ConnectionRegistryTests.AssertProblem(second, HttpStatusCode.Conflict);
        var location = first.Headers.Location!.OriginalString;
        while ((await client.GetFromJsonAsync<JsonElement>(location)).GetProperty("status").GetString() == "running")
        {
            await Task.Delay(25);
        }

        // The run's end releases its lease in the same statement: the next sync may start the moment it shows finished.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null)).StatusCode);
    }

    [Fact]
    public async Task Deleting_a_connection_removes_every_row_synced_for_it()
    {
        using var bridge = Bridge([Ada(), Grace()], [ScimPayload.Group("gbbbbbbbbbbbbbbbbbbbbbbbbb", "Engineering", "UAAAAAAAAAAAAAAAAAAAAAAAAA")]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/tenants/acme/connections/{id}")).StatusCode);

        foreach (var table in new[] { "directory_users", "directory_groups", "memberships", "change_events", "sync_runs", "provisioning_reports" })
        {
            Assert.Equal(["0"], await app.QueryAsync($"SELECT count(*) FROM {table} WHERE connection_id = @c", id));
        }
    }
}
