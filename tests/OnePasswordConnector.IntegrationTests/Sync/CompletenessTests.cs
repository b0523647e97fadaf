using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// Every run that read its connection records what it proves about the population it read, served as
/// <c>completeness</c> on the run and in the run list (pages of <see cref="SyncApp.PageSize"/>, 2).
/// </summary>
public sealed class CompletenessTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static readonly string[] CheckNames =
        ["bridge_answered", "groups_enumerated", "group_members_read", "users_enumerated", "removals_confirmed", "merged"];

    private static LiveBridge Team()
    {
        var bridge = new LiveBridge();
        bridge.PutUsers(Enumerable.Range(1, 5));

        bridge.PutGroup("G1", "Engineering", "U1", "U2");
        return bridge;
    }

    [Fact]
    public async Task A_succeeded_run_records_each_enumeration_the_bridge_the_checks_and_the_digest_on_the_run_and_in_the_run_list()
    {
        using var bridge = Team();
        var id = await app.RegisterAsync(bridge.Fake);

        var run = await app.SyncAsync(id);

        var record = run.GetProperty("completeness");
        Assert.True(record.GetProperty("complete").GetBoolean(), record.ToString());
        var users = record.GetProperty("users");
        Assert.Equal("offset", users.GetProperty("paging").GetString());
        Assert.Equal("count=2", users.GetProperty("requestParameters").GetString());
        Assert.Equal(5, users.GetProperty("totalResultsFirst").GetInt32());
        Assert.Equal(5, users.GetProperty("totalResultsLast").GetInt32());
        Assert.Equal(5, users.GetProperty("distinctIds").GetInt32());
        Assert.Equal(3, users.GetProperty("pagesRequested").GetInt32());
        Assert.Equal(2, users.GetProperty("pageSizeAsked").GetInt32());
        Assert.Equal(2, users.GetProperty("pageSizeHonoured").GetInt32());
        Assert.Equal(0, users.GetProperty("duplicatesDropped").GetInt32());
        Assert.Equal(1, record.GetProperty("groups").GetProperty("distinctIds").GetInt32());
        Assert.Equal("2.9.16", record.GetProperty("bridge").GetProperty("version").GetString());
        Assert.Equal("209163", record.GetProperty("bridge").GetProperty("build").GetString());
        Assert.Equal("""[{"source":"SCIMServer","state":"healthy"}]""", record.GetProperty("bridge").GetProperty("health").GetRawText());
        Assert.Equal(run.GetProperty("startedAt").GetDateTimeOffset(), record.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(run.GetProperty("finishedAt").GetDateTimeOffset(), record.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.Matches("^[0-9a-f]{64}$", record.GetProperty("populationDigest").GetString());
        Assert.Equal(CheckNames, record.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.All(record.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.ToString()));
        Assert.Equal(["True"], await app.QueryAsync($"SELECT complete FROM sync_runs WHERE id = '{run.GetProperty("id").GetGuid()}' AND connection_id = @c", id));

        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var listed = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}/syncs");
        Assert.Equal(record.GetRawText(), listed[0].GetProperty("completeness").GetRawText());
    }

    [Fact]
    public async Task A_run_that_fails_keeps_what_it_learnt_with_complete_false_and_no_digest()
    {
        using var bridge = Team();
        var id = await app.RegisterAsync(bridge.Fake);
        bridge.Fake.ServePage("Users", 3, ScimPayload.Error(500, "down"), status: 500);

        var run = await app.SyncAsync(id);

        Assert.Equal("failed", run.GetProperty("status").GetString());
        var record = run.GetProperty("completeness");
        Assert.False(record.GetProperty("complete").GetBoolean());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("populationDigest").ValueKind);
        Assert.Equal(run.GetProperty("finishedAt").GetDateTimeOffset(), record.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.Equal(5, record.GetProperty("users").GetProperty("totalResultsFirst").GetInt32());
        Assert.Equal(2, record.GetProperty("users").GetProperty("distinctIds").GetInt32());
        Assert.Equal("2.9.16", record.GetProperty("bridge").GetProperty("version").GetString());
        var checks = record.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("passed").GetBoolean());
        Assert.Equal(
            new Dictionary<string, bool>
            {
                ["bridge_answered"] = true,
                ["groups_enumerated"] = true,
                ["group_members_read"] = false,
                ["users_enumerated"] = false,
                ["removals_confirmed"] = false,
                ["merged"] = false,
            },
            checks);
        var merged = record.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "merged");
        Assert.Contains(run.GetProperty("error").GetString()!, merged.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await app.CurrentUsersAsync(id));
    }

    [Fact]
    public async Task A_running_run_has_no_completeness_record_yet()
    {
        using var bridge = Team();
        var id = await app.RegisterAsync(bridge.Fake);
        using var gate = new SemaphoreSlim(0);
        bridge.ListGroupsWithoutMembers = true;
        bridge.LookupGate = gate;
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var started = await client.PostAsync($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}/syncs", null);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (bridge.LookupsInFlight == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The sync never asked for the group's members.");
            await Task.Delay(10);
        }

        var running = await client.GetFromJsonAsync<JsonElement>(started.Headers.Location);
        gate.Release();

        Assert.Equal("running", running.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, running.GetProperty("completeness").ValueKind);
    }

    [Fact]
    public async Task A_run_that_could_read_no_member_list_of_a_group_succeeds_but_is_not_complete()
    {
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        var listed = ScimPayload.Group("GNONE", "Contractors");
        listed.Remove("members");
        bridge.ServePage("Groups", 1, ScimPayload.ListResponse([listed], 1, 1));
        bridge.Authorized("/scim/Groups/GNONE", priority: 5).RespondWith(FakeBridge.Json(200, listed));
        bridge.ServePaged("Users", ScimPayload.TeamOfFive(), SyncApp.PageSize);
        bridge.RejectOtherTokens();
        var id = await app.RegisterAsync(bridge);

        var run = await app.SyncAsync(id);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var record = run.GetProperty("completeness");
        Assert.False(record.GetProperty("complete").GetBoolean());
        Assert.Equal(["group_members_read"],
            record.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("passed").GetBoolean()).Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(1, record.GetProperty("groups").GetProperty("memberListsRead").GetInt32());
    }
}
