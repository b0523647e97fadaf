using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

/// <summary>
/// Groups held by groups (RFC 7643 §4.2 members.type "Group"): the users of an inner group hold the outer group's
/// access, and the review shows them with the chain of groups they hold it through.
/// </summary>
public sealed class NestedGroupTests(SyncApp app) : IClassFixture<SyncApp>
{
    private const string AdministratorsId = "gccccccccccccccccccccccccc";
    private const string OpsId = "gddddddddddddddddddddddddd";
    private const string OnCallId = "geeeeeeeeeeeeeeeeeeeeeeeee";
    private const string GhostId = "UZZZZZZZZZZZZZZZZZZZZZZZZZ";

    private static string Base(Guid id) => $"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}";

    /// <summary>A group whose members are users and groups, as a SCIM server that allows nesting lists them.</summary>
    private static JsonObject Group(string id, string displayName, string[] users, params string[] groups)
    {
        var group = ScimPayload.Group(id, displayName, users);
        var members = group["members"]!.AsArray();
        foreach (var inner in groups)
        {
            members.Add(new JsonObject { ["value"] = inner, ["type"] = "Group" });
        }

        return group;
    }

    private static string Via(JsonElement item) =>
        string.Join('>', item.GetProperty("via").EnumerateArray().Select(g => $"{g.GetProperty("displayName").GetString()}({g.GetProperty("id").GetString()})"));

    private static string ViaNames(JsonElement item) =>
        string.Join('>', item.GetProperty("via").EnumerateArray().Select(g => g.GetProperty("displayName").GetString()));

    private async Task<(Guid Id, HttpClient Client)> SyncAsync(JsonObject[] users, JsonObject[] groups)
    {
        using var bridge = Bridge(users, groups);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        return (id, app.ClientWithKey(ConnectorApp.AdminKey));
    }

    private static async Task<string[]> MembersAsync(HttpClient client, Guid id, string groupId, string query = "") =>
        (await GetAllPagesAsync(client, $"{Base(id)}/groups/{groupId}/members{query}", 1))
        .Select(m => $"{m.GetProperty("userName").GetString()}[{ViaNames(m)}]").ToArray();

    private static async Task<Dictionary<string, int>> MemberCountsAsync(HttpClient client, Guid id, string query = "") =>
        (await GetAllPagesAsync(client, $"{Base(id)}/groups{query}", 100))
        .ToDictionary(g => g.GetProperty("displayName").GetString()!, g => g.GetProperty("memberCount").GetInt32());

    [Fact]
    public async Task An_Administrators_group_holding_a_group_of_two_users_makes_both_privileged_members_through_that_group()
    {
        var (id, client) = await SyncAsync([Ada(), Grace(active: false), Linus()],
            [Group(AdministratorsId, "Administrators", [LinusId], OpsId), Group(OpsId, "Ops", [AdaId, GraceId])]);
        using var _ = client;

        var summary = await GetJsonAsync(client, $"{Base(id)}/summary");
        var inactive = summary.GetProperty("inactiveUsersWithMemberships").GetProperty("users").EnumerateArray().Single();
        Assert.Equal(["Administrators", "Ops"], inactive.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        var administrators = summary.GetProperty("privilegedGroups").EnumerateArray().Single();
        Assert.Equal("Administrators", administrators.GetProperty("groupName").GetString());
        Assert.Equal(["ada@example.org", "grace@example.org", "linus@example.org"],
            administrators.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal([$"{AdaId}:Ops({OpsId})", $"{GraceId}:Ops({OpsId})", $"{LinusId}:"],
            administrators.GetProperty("memberDetails").EnumerateArray().Select(m => $"{m.GetProperty("id").GetString()}:{Via(m)}"));

        Assert.Equal(["ada@example.org[Ops]", "grace@example.org[Ops]", "linus@example.org[]"], await MembersAsync(client, id, AdministratorsId));
        Assert.Equal(3, (await MemberCountsAsync(client, id))["Administrators"]);
        Assert.Equal([AdaId, GraceId, LinusId], Ids((await GetJsonAsync(client, $"{Base(id)}/users?groupId={AdministratorsId}")).GetProperty("items").EnumerateArray()));

        var ada = (await GetJsonAsync(client, $"{Base(id)}/users/{AdaId}")).GetProperty("user");
        Assert.Equal(["Administrators:Ops", "Ops:"],
            ada.GetProperty("groups").EnumerateArray().Select(g => $"{g.GetProperty("displayName").GetString()}:{ViaNames(g)}"));

        var sheet = await GetAllPagesAsync(client, $"{Base(id)}/access-review", 2);
        Assert.Equal(["ada@example.org>Administrators[Ops]", "ada@example.org>Ops[]", "grace@example.org>Administrators[Ops]",
            "grace@example.org>Ops[]", "linus@example.org>Administrators[]"],
            sheet.Select(r => $"{r.GetProperty("userName").GetString()}>{r.GetProperty("groupName").GetString()}[{ViaNames(r)}]"));
    }

    [Fact]
    public async Task A_user_held_directly_and_through_nested_groups_is_listed_once_direct_first_then_by_the_shortest_chain()
    {
        // Administrators holds Ada directly and through Ops; Grace through Ops > On call and through On call; Linus
        // through Ops and through On call, two chains of one group: the one with the smaller group id (Ops) is shown.
        var (id, client) = await SyncAsync([Ada(), Grace(), Linus()],
        [
            Group(AdministratorsId, "Administrators", [AdaId], OpsId, OnCallId),
            Group(OpsId, "Ops", [AdaId, LinusId], OnCallId),
            Group(OnCallId, "On call", [GraceId, LinusId]),
        ]);
        using var _ = client;

        Assert.Equal(["ada@example.org[]", "grace@example.org[On call]", "linus@example.org[Ops]"], await MembersAsync(client, id, AdministratorsId));
        Assert.Equal(["ada@example.org[]", "grace@example.org[On call]", "linus@example.org[]"], await MembersAsync(client, id, OpsId));
        var counts = await MemberCountsAsync(client, id);
        Assert.Equal(3, counts["Administrators"]);
        Assert.Equal(3, counts["Ops"]);
        Assert.Equal(2, counts["On call"]);

        var sheet = (await GetAllPagesAsync(client, $"{Base(id)}/access-review", 100))
            .Select(r => $"{r.GetProperty("userName").GetString()}>{r.GetProperty("groupName").GetString()}[{ViaNames(r)}]").ToArray();
        Assert.Equal(["ada@example.org>Administrators[]", "ada@example.org>Ops[]",
            "grace@example.org>Administrators[On call]", "grace@example.org>On call[]", "grace@example.org>Ops[On call]",
            "linus@example.org>Administrators[Ops]", "linus@example.org>On call[]", "linus@example.org>Ops[]"], sheet.Order(StringComparer.Ordinal));

        var summary = await GetJsonAsync(client, $"{Base(id)}/summary");
        Assert.Equal(sheet.Length, summary.GetProperty("memberships").GetInt32());
        Assert.Equal(["ada@example.org:", "grace@example.org:On call", "linus@example.org:Ops"], summary.GetProperty("privilegedGroups")[0].GetProperty("memberDetails").EnumerateArray()
            .Select(m => $"{m.GetProperty("userName").GetString()}:{ViaNames(m)}"));
    }

    [Fact]
    public async Task Member_since_through_a_chain_is_when_its_last_link_began()
    {
        using var bridge = Bridge([Ada()], [Group(AdministratorsId, "Administrators", []), Group(OpsId, "Ops", [AdaId])]);
        var id = await app.RegisterAsync(bridge);
        var first = await app.SyncAsync(id);
        Reserve(bridge, [Ada()], [Group(AdministratorsId, "Administrators", [], OpsId), Group(OpsId, "Ops", [AdaId])]);
        var second = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var ops = (await GetJsonAsync(client, $"{Base(id)}/groups/{OpsId}/members")).GetProperty("items").EnumerateArray().Single();
        var administrators = (await GetJsonAsync(client, $"{Base(id)}/groups/{AdministratorsId}/members")).GetProperty("items").EnumerateArray().Single();

        Assert.Equal(first.GetProperty("startedAt").GetDateTimeOffset(), ops.GetProperty("memberSince").GetDateTimeOffset());
        Assert.Equal(second.GetProperty("startedAt").GetDateTimeOffset(), administrators.GetProperty("memberSince").GetDateTimeOffset());
        Assert.Equal("Ops", ViaNames(administrators));
    }

    [Fact]
    public async Task Groups_that_hold_each_other_in_a_cycle_or_themselves_are_harmless()
    {
        var (id, client) = await SyncAsync([Ada(), Grace()],
        [
            Group(OpsId, "Ops", [AdaId], OnCallId, OpsId),
            Group(OnCallId, "On call", [GraceId], OpsId),
        ]);
        using var _ = client;

        Assert.Equal(["ada@example.org[]", "grace@example.org[On call]"], await MembersAsync(client, id, OpsId));
        Assert.Equal(["ada@example.org[Ops]", "grace@example.org[]"], await MembersAsync(client, id, OnCallId));
        Assert.Equal(new Dictionary<string, int> { ["On call"] = 2, ["Ops"] = 2 }, await MemberCountsAsync(client, id));
        Assert.Equal(4, (await GetJsonAsync(client, $"{Base(id)}/summary")).GetProperty("memberships").GetInt32());
    }

    [Fact]
    public async Task A_chain_of_nested_groups_is_followed_sixteen_groups_deep()
    {
        // Team 0 holds Team 1, which holds Team 2, ... Team 17 lists Ada: seventeen groups below Team 0, sixteen below Team 1.
        static string TeamId(int i) => "gT" + i.ToString("D24", CultureInfo.InvariantCulture);
        var teams = Enumerable.Range(0, 18)
            .Select(i => Group(TeamId(i), $"Team {i:D2}", i == 17 ? [AdaId] : [], i == 17 ? [] : [TeamId(i + 1)])).ToArray();
        var (id, client) = await SyncAsync([Ada()], teams);
        using var _ = client;

        Assert.Empty(await MembersAsync(client, id, TeamId(0)));
        var viaSixteen = string.Join('>', Enumerable.Range(2, 16).Select(i => $"Team {i:D2}"));
        Assert.Equal([$"ada@example.org[{viaSixteen}]"], await MembersAsync(client, id, TeamId(1)));
        var counts = await MemberCountsAsync(client, id);
        Assert.Equal(0, counts["Team 00"]);
        Assert.All(Enumerable.Range(1, 17), i => Assert.Equal(1, counts[$"Team {i:D2}"]));
    }

    [Fact]
    public async Task AsOf_answers_effective_membership_as_it_stood_at_that_sync()
    {
        using var bridge = Bridge([Ada(), Grace()], [Group(AdministratorsId, "Administrators", [], OpsId), Group(OpsId, "Ops", [AdaId])]);
        var id = await app.RegisterAsync(bridge);
        var first = await app.SyncAsync(id);
        Reserve(bridge, [Ada(), Grace()], [Group(AdministratorsId, "Administrators", [GraceId]), Group(OpsId, "Ops", [AdaId])]);
        var second = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var then = Uri.EscapeDataString(first.GetProperty("finishedAt").GetDateTimeOffset().ToString("O", CultureInfo.InvariantCulture));

        Assert.Equal(["ada@example.org[Ops]"], await MembersAsync(client, id, AdministratorsId, $"?asOf={then}"));
        Assert.Equal(["grace@example.org[]"], await MembersAsync(client, id, AdministratorsId));
        Assert.Equal(1, (await MemberCountsAsync(client, id, $"?asOf={then}"))["Administrators"]);
        var ada = (await GetJsonAsync(client, $"{Base(id)}/users?asOf={then}&groupId={AdministratorsId}")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal(["Administrators:Ops", "Ops:"], ada.GetProperty("groups").EnumerateArray().Select(g => $"{g.GetProperty("displayName").GetString()}:{ViaNames(g)}"));
        var sheet = await GetAllPagesAsync(client, $"{Base(id)}/access-review?asOf={then}", 100);
        Assert.Equal(["ada@example.org>Administrators[Ops]", "ada@example.org>Ops[]", "grace@example.org>[]"],
            sheet.Select(r => $"{r.GetProperty("userName").GetString()}>{r.GetProperty("groupName").GetString()}[{ViaNames(r)}]"));
        Assert.Equal("succeeded", second.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_CSV_review_sheet_shows_the_same_chains_as_the_JSON()
    {
        var (id, client) = await SyncAsync([Ada(), Grace(), Linus()],
        [
            Group(AdministratorsId, "Administrators", [LinusId], OpsId),
            Group(OpsId, "Ops", [AdaId], OnCallId),
            Group(OnCallId, "On call", [GraceId]),
        ]);
        using var _ = client;

        var json = await GetAllPagesAsync(client, $"{Base(id)}/access-review", 3);
        foreach (var url in new[] { $"{Base(id)}/access-review?format=csv&csvFormulaEscape=false", $"{Base(id)}/access-review?format=csv" })
        {
            var rows = ParseCsv(await client.GetStringAsync(url));
            Assert.Equal(["viaGroupIds", "viaGroupNames"], rows[0][11..13]);
            Assert.Equal(json.Count, rows.Count - 1);
            for (var i = 0; i < json.Count; i++)
            {
                var via = json[i].GetProperty("via").EnumerateArray().ToArray();
                Assert.Equal(json[i].GetProperty("userId").GetString(), rows[i + 1][0]);
                Assert.Equal(json[i].GetProperty("groupId").GetString() ?? "", rows[i + 1][8]);
                Assert.Equal(string.Join(';', via.Select(g => g.GetProperty("id").GetString())), rows[i + 1][11]);
                Assert.Equal(string.Join(';', via.Select(g => g.GetProperty("displayName").GetString())), rows[i + 1][12]);
            }
        }

        Assert.Contains(json, r => ViaNames(r) == "Ops>On call" && r.GetProperty("groupName").GetString() == "Administrators");
    }

    [Fact]
    public async Task Member_counts_summary_and_review_sheet_count_only_the_known_users_the_member_lists_show()
    {
        // Ops lists a member id that is no user the bridge listed; Administrators holds Ops.
        var (id, client) = await SyncAsync([Ada(), Grace()],
            [Group(AdministratorsId, "Administrators", [], OpsId), Group(OpsId, "Ops", [AdaId, GhostId]), Engineering(AdaId, GraceId, GhostId)]);
        using var _ = client;

        var groups = await GetAllPagesAsync(client, $"{Base(id)}/groups", 100);
        foreach (var group in groups)
        {
            var members = await GetAllPagesAsync(client, $"{Base(id)}/groups/{group.GetProperty("id").GetString()}/members", 1);
            Assert.Equal(members.Count, group.GetProperty("memberCount").GetInt32());
        }

        Assert.Equal(new Dictionary<string, int> { ["Administrators"] = 1, ["Engineering"] = 2, ["Ops"] = 1 }, await MemberCountsAsync(client, id));
        var sheet = await GetAllPagesAsync(client, $"{Base(id)}/access-review", 100);
        var summary = await GetJsonAsync(client, $"{Base(id)}/summary");
        Assert.Equal(4, summary.GetProperty("memberships").GetInt32());
        Assert.Equal(4, sheet.Count(r => r.GetProperty("groupId").ValueKind != JsonValueKind.Null));
        Assert.Equal(["ada@example.org"], summary.GetProperty("privilegedGroups")[0].GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.DoesNotContain(sheet, r => r.GetProperty("userId").GetString() == GhostId);
    }
}
