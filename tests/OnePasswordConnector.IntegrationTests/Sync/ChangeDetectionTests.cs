using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// A sync counts and records a change only when an attribute the product stores changed. The fake bridge behaves like
/// a 1Password bridge: users carry the derived <c>groups</c>, and <c>meta.lastModified</c> moves whenever a resource's
/// representation does, memberships included.
/// </summary>
public sealed class ChangeDetectionTests(SyncApp app) : IClassFixture<SyncApp>
{
    [Fact]
    public async Task A_bridge_that_re_serialises_the_same_directory_with_other_key_order_and_whitespace_changes_nothing()
    {
        var directory = Team();
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        directory.Reserialised = true;
        directory.Serve(bridge);

        var run = await app.SyncAsync(id);

        AssertCounts(run, usersChanged: 0, groupsChanged: 0);
        Assert.Equal(0, run.GetProperty("changeEvents").GetInt32());
        Assert.Equal(["0|0"], await History(id));
    }

    [Fact]
    public async Task A_membership_change_moves_only_memberships()
    {
        var directory = Team();
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        directory.Groups["GENG"].Remove("UGRACE");
        directory.Groups["GENG"].Add("ULINUS");
        directory.Serve(bridge);

        var run = await app.SyncAsync(id);

        AssertCounts(run, usersChanged: 0, groupsChanged: 0);
        Assert.Equal(1, run.GetProperty("memberships").GetProperty("added").GetInt32());
        Assert.Equal(1, run.GetProperty("memberships").GetProperty("removed").GetInt32());
        Assert.Equal(["membership_added:ULINUS", "membership_removed:UGRACE"],
            (await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid())).Order(StringComparer.Ordinal));
        Assert.Equal(["0|0"], await History(id));
    }

    [Fact]
    public async Task A_group_rename_changes_the_group_and_no_user()
    {
        var directory = Team();
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        directory.Names["GENG"] = "Platform Engineering";
        directory.Serve(bridge);

        var run = await app.SyncAsync(id);

        AssertCounts(run, usersChanged: 0, groupsChanged: 1);
        Assert.Equal(["group_renamed:GENG"], await app.ChangeEventsAsync(id, run.GetProperty("id").GetGuid()));
        Assert.Equal(["0|1"], await History(id));
    }

    [Fact]
    public async Task A_user_delete_changes_no_group()
    {
        var directory = Team();
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        directory.Users.Remove("UGRACE");
        foreach (var members in directory.Groups.Values)
        {
            members.Remove("UGRACE");
        }

        directory.Serve(bridge);

        var run = await app.SyncAsync(id);

        AssertCounts(run, usersChanged: 0, groupsChanged: 0);
        Assert.Equal(1, run.GetProperty("users").GetProperty("removed").GetInt32());
        Assert.Equal(["0|0"], await History(id));
    }

    [Fact]
    public async Task A_group_delete_changes_no_user()
    {
        var directory = Team();
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        directory.Groups.Remove("GENG");
        directory.Serve(bridge);

        var run = await app.SyncAsync(id);

        AssertCounts(run, usersChanged: 0, groupsChanged: 0);
        Assert.Equal(1, run.GetProperty("groups").GetProperty("removed").GetInt32());
        Assert.Equal(["0|0"], await History(id));
    }

    [Fact]
    public async Task Rows_stored_with_an_earlier_hash_formula_are_refreshed_without_counting_as_changed()
    {
        var directory = Team();
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        await app.QueryAsync("""
            UPDATE directory_users SET content_hash = sha256(convert_to(raw::text, 'UTF8')) WHERE connection_id = @c;
            UPDATE directory_groups SET content_hash = sha256(convert_to(raw::text, 'UTF8')) WHERE connection_id = @c;
            """, id);
        var upgraded = await Hashes(id);

        var run = await app.SyncAsync(id);

        AssertCounts(run, usersChanged: 0, groupsChanged: 0);
        Assert.Equal(0, run.GetProperty("changeEvents").GetInt32());
        Assert.Equal(["0|0"], await History(id));
        Assert.Empty((await Hashes(id)).Intersect(upgraded));
        var next = await app.SyncAsync(id);
        AssertCounts(next, usersChanged: 0, groupsChanged: 0);
    }

    [Fact]
    public async Task An_attribute_kept_only_in_the_raw_json_is_refreshed_there_without_counting_as_a_change()
    {
        var directory = Team();
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        directory.Users["UADA"]["title"] = "Countess";
        directory.Serve(bridge);

        var run = await app.SyncAsync(id);

        AssertCounts(run, usersChanged: 0, groupsChanged: 0);
        Assert.Equal(["Countess"], await app.QueryAsync("SELECT raw->>'title' FROM directory_users WHERE connection_id = @c AND scim_id = 'UADA'", id));
        Assert.Equal(["0|0"], await History(id));
    }

    [Fact]
    public async Task Each_stored_attribute_that_changes_alone_is_a_change_event_showing_it_before_and_after()
    {
        var directory = new TeamDirectory();
        string[] ids = ["UFORMATTED", "UEXTERNAL", "UGIVEN", "UFAMILY", "UDISPLAY", "UUSERNAME", "UEMAIL", "UACTIVE", "USTATE"];
        foreach (var user in ids)
        {
            directory.AddUser(user, user.ToLowerInvariant()[1..] + "@example.org", "Given", "Family");
        }

        directory.AddGroup("GNAME", "Sales");
        directory.AddGroup("GEXTERNAL", "Support");
        using var bridge = directory.Serve(new FakeBridge());
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        var users = directory.Users;
        users["UFORMATTED"]["name"]!["formatted"] = "Given Q. Family";
        users["UEXTERNAL"]["externalId"] = "okta:0042";
        users["UGIVEN"]["name"]!["givenName"] = "Other";
        users["UFAMILY"]["name"]!["familyName"] = "Other";
        users["UDISPLAY"]["displayName"] = "Other";
        users["UUSERNAME"]["userName"] = "renamed@example.org";
        users["UEMAIL"]["emails"]!.AsArray().Add(new JsonObject { ["value"] = "second@example.org", ["primary"] = false });
        users["UACTIVE"]["active"] = false;
        users["USTATE"][OnePasswordExtension]!["state"] = "suspended";
        directory.Names["GNAME"] = "Sales EMEA";
        directory.GroupExternalIds["GEXTERNAL"] = "okta:g7";
        directory.Serve(bridge);

        var run = await app.SyncAsync(id);

        var events = await app.QueryAsync(
            "SELECT subject_id, kind, before::text, after::text FROM change_events WHERE connection_id = @c ORDER BY subject_id COLLATE \"C\", kind", id);
        Assert.Equal(
            [
                "GEXTERNAL|group_external_id_changed|externalId",
                "GNAME|group_renamed|displayName",
                "UACTIVE|user_deactivated|active",
                "UDISPLAY|user_renamed|displayName",
                "UEMAIL|user_email_changed|emails",
                "UEXTERNAL|user_external_id_changed|externalId",
                "UFAMILY|user_renamed|familyName",
                "UFORMATTED|user_renamed|formattedName",
                "UGIVEN|user_renamed|givenName",
                "USTATE|user_state_changed|state",
                "UUSERNAME|user_renamed|userName",
            ],
            events.Select(e => e.Split('|')).Select(e => $"{e[0]}|{e[1]}|{string.Join(',', Differing(e[2], e[3]))}"));
        Assert.Equal(9, run.GetProperty("users").GetProperty("changed").GetInt32());
        Assert.Equal(2, run.GetProperty("groups").GetProperty("changed").GetInt32());
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        foreach (var (kind, subject) in new[] { ("user_external_id_changed", "UEXTERNAL"), ("group_external_id_changed", "GEXTERNAL") })
        {
            var feed = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}/changes?kind={kind}");
            Assert.Equal([subject], feed.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("subjectId").GetString()));
        }
    }

    private const string OnePasswordExtension = "urn:ietf:params:scim:schemas:extension:1password:1.0:User";

    /// <summary>The attributes whose values differ between an event's before and after.</summary>
    private static IEnumerable<string> Differing(string before, string after)
    {
        var old = JsonNode.Parse(before)!.AsObject();
        var now = JsonNode.Parse(after)!.AsObject();
        return old.Select(p => p.Key).Where(k => !JsonNode.DeepEquals(old[k], now[k]));
    }

    private static void AssertCounts(JsonElement run, int usersChanged, int groupsChanged)
    {
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.True(usersChanged == run.GetProperty("users").GetProperty("changed").GetInt32(), run.ToString());
        Assert.True(groupsChanged == run.GetProperty("groups").GetProperty("changed").GetInt32(), run.ToString());
    }

    /// <summary>"user history rows|group history rows".</summary>
    private Task<List<string>> History(Guid id) => app.QueryAsync(
        "SELECT (SELECT count(*) FROM user_history WHERE connection_id = @c) || '|' || (SELECT count(*) FROM group_history WHERE connection_id = @c)", id);

    private Task<List<string>> Hashes(Guid id) => app.QueryAsync(
        "SELECT encode(content_hash, 'hex') FROM directory_users WHERE connection_id = @c UNION ALL SELECT encode(content_hash, 'hex') FROM directory_groups WHERE connection_id = @c", id);

    private static TeamDirectory Team()
    {
        var directory = new TeamDirectory();
        directory.AddUser("UADA", "ada@example.org", "Ada", "Lovelace");
        directory.AddUser("UGRACE", "grace@example.org", "Grace", "Hopper");
        directory.AddUser("ULINUS", "linus@example.org", "Linus", "Torvalds");
        directory.AddUser("UZOE", "zoe@example.org", "Zoë", "Ångström");
        directory.AddGroup("GENG", "Engineering", "UADA", "UGRACE");
        directory.AddGroup("GOWN", "Owners", "UADA");
        directory.AddGroup("GALL", "Everyone", "UADA", "UGRACE", "ULINUS", "UZOE");
        return directory;
    }

    /// <summary>A small directory served the way a 1Password bridge serves it.</summary>
    private sealed class TeamDirectory
    {
        public Dictionary<string, JsonObject> Users { get; } = [];

        public Dictionary<string, List<string>> Groups { get; } = [];

        public Dictionary<string, string> Names { get; } = [];

        public Dictionary<string, string> GroupExternalIds { get; } = [];

        /// <summary>Serve every object with its keys in reverse order, indented, non-ASCII unescaped.</summary>
        public bool Reserialised { get; set; }

        public void AddUser(string id, string userName, string given, string family) => Users[id] = new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User", OnePasswordExtension),
            ["id"] = id,
            ["externalId"] = null,
            ["userName"] = userName,
            ["name"] = new JsonObject { ["givenName"] = given, ["familyName"] = family, ["formatted"] = $"{given} {family}" },
            ["displayName"] = $"{given} {family}",
            ["emails"] = new JsonArray(new JsonObject { ["value"] = userName, ["type"] = "work", ["primary"] = true }),
            ["active"] = true,
            [OnePasswordExtension] = new JsonObject { ["state"] = "active" },
        };

        public void AddGroup(string id, string name, params string[] members)
        {
            Names[id] = name;
            Groups[id] = [.. members];
        }

        public FakeBridge Serve(FakeBridge bridge)
        {
            var users = Users.Values.Select(u =>
            {
                var user = (JsonObject)u.DeepClone();
                var id = (string)user["id"]!;
                user["groups"] = new JsonArray([.. Groups.Where(g => g.Value.Contains(id)).Select(g =>
                    (JsonNode)new JsonObject { ["value"] = g.Key, ["display"] = Names[g.Key], ["$ref"] = $"https://bridge.example/scim/Groups/{g.Key}" })]);
                return WithMeta(user, "User");
            });
            var groups = Groups.Select(g => WithMeta(new JsonObject
            {
                ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Group"),
                ["id"] = g.Key,
                ["displayName"] = Names[g.Key],
                ["externalId"] = GroupExternalIds.GetValueOrDefault(g.Key),
                ["members"] = new JsonArray([.. g.Value.Select(m => (JsonNode)new JsonObject { ["value"] = m, ["type"] = "User" })]),
            }, "Group"));
            bridge.Server.Reset();
            bridge.ServeServiceProviderConfig();
            bridge.ServeHealth();
            Page(bridge, "Users", [.. users]);
            Page(bridge, "Groups", [.. groups]);
            bridge.RejectOtherTokens();
            return bridge;
        }

        /// <summary>lastModified follows the representation, as on a real bridge: a new member or group moves it.</summary>
        private static JsonObject WithMeta(JsonObject resource, string type)
        {
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(resource.ToJsonString()));
            var modified = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(BitConverter.ToUInt32(digest) % 10_000_000);
            resource["meta"] = new JsonObject
            {
                ["resourceType"] = type,
                ["created"] = "2025-01-02T03:04:05Z",
                ["lastModified"] = modified.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            };
            return resource;
        }

        private void Page(FakeBridge bridge, string resource, JsonObject[] items)
        {
            var page = ScimPayload.ListResponse(items, items.Length, 1);
            var body = Reserialised
                ? Reverse(page)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
                : page.ToJsonString();
            bridge.Authorized($"/scim/{resource}").RespondWith(
                Response.Create().WithStatusCode(200).WithHeader("Content-Type", FakeBridge.ScimJson).WithBody(Encoding.UTF8.GetBytes(body)));
        }

        private static JsonNode? Reverse(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.Reverse().Select(p => KeyValuePair.Create(p.Key, Reverse(p.Value)))),
            JsonArray a => new JsonArray([.. a.Select(Reverse)]),
            _ => node?.DeepClone(),
        };
    }
}
