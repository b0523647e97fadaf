using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OnePasswordConnector.TestSupport;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// Text PostgreSQL cannot store (NUL, lone surrogates, invalid UTF-8), served raw by the bridge, is stored with U+FFFD
/// in its place and listed as a warning on the run; the sync succeeds. Group members the bridge never listed as users
/// or groups are warnings too.
/// </summary>
public sealed partial class DataQualityTests(SyncApp app) : IClassFixture<SyncApp>
{
    private const string Fffd = "\uFFFD";

    // {0xFF} stands for one raw byte; \u0000 and \ud800 are JSON escapes, six ASCII bytes each, as a bridge sends them.
    private const string BadUsers = """
        {"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"startIndex":1,"itemsPerPage":3,"Resources":[
         {"id":"UNUL","userName":"nul@example.org","displayName":"Nul\u0000Byte","name":{"givenName":"Nul","familyName":"Byte","formatted":"Nul Byte"},
          "emails":[{"value":"nul@example.org","primary":true}],"active":true},
         {"id":"USUR","userName":"sur@example.org","displayName":"Lone \ud800 Surrogate","name":{"givenName":"Lone","familyName":"Surrogate","formatted":"Lone \udc00"},
          "emails":[{"value":"sur@example.org","primary":true}],"active":true},
         {"id":"UBAD","userName":"bad@example.org","displayName":"Bad {0xFF} Byte","name":{"givenName":"Bad","familyName":"Caf{0xC3}{0x28}","formatted":"Bad Byte"},
          "emails":[{"value":"bad@example.org","primary":true}],"active":true}]}
        """;

    private const string BadGroups = """
        {"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[
         {"id":"GBAD","displayName":"Eng{0xC3}{0x28}ineering","externalId":"ext\udfff","members":[{"value":"UNUL","type":"User"},{"value":"UBAD","type":"User"},{"value":"U\u0000GHOST","type":"User"}]}]}
        """;

    private static readonly string[] ExpectedWarnings =
    [
        @"text_replaced|Group|GBAD|displayName|0xC3",
        @"text_replaced|Group|GBAD|externalId|\udfff",
        @"text_replaced|Group|GBAD|members.value|\u0000",
        @"text_replaced|User|UBAD|displayName|0xFF",
        @"text_replaced|User|UBAD|name.familyName|0xC3",
        @"text_replaced|User|UNUL|displayName|\u0000",
        @"text_replaced|User|USUR|displayName|\ud800",
        @"text_replaced|User|USUR|name.formatted|\udc00",
        $"unknown_member|Group|GBAD|members|U{Fffd}GHOST",
    ];

    [Fact]
    public async Task A_first_sync_of_a_bridge_serving_nul_lone_surrogates_and_invalid_utf8_stores_them_as_replacement_characters_and_lists_warnings()
    {
        using var bridge = Serve(new FakeBridge(), Raw(BadUsers), Raw(BadGroups));
        var id = await app.RegisterAsync(bridge);

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        await AssertStoredWithReplacementCharacters(id);
        Assert.Equal(ExpectedWarnings, Warnings(run));
        Assert.Equal(ExpectedWarnings.Length, run.GetProperty("warningCount").GetInt32());
    }

    [Fact]
    public async Task A_later_sync_that_meets_such_text_merges_it_as_replacement_characters_and_lists_warnings_on_the_run_and_in_the_run_list()
    {
        using var bridge = Serve(new FakeBridge(), Clean(BadUsers), Clean(BadGroups));
        var id = await app.RegisterAsync(bridge);
        var clean = await app.SyncAsync(id);
        Assert.Equal(["unknown_member|Group|GBAD|members|UGHOST"], Warnings(clean));
        Serve(bridge, Raw(BadUsers), Raw(BadGroups));

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(3, run.GetProperty("users").GetProperty("changed").GetInt32());
        Assert.Equal(1, run.GetProperty("groups").GetProperty("changed").GetInt32());
        await AssertStoredWithReplacementCharacters(id);
        Assert.Equal(ExpectedWarnings, Warnings(run));
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var runs = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}/syncs");
        Assert.Equal(ExpectedWarnings, Warnings(runs[0]));
        Assert.Equal(ExpectedWarnings.Length, runs[0].GetProperty("warningCount").GetInt32());

        // The same bytes again: nothing changed, and the run still says what it replaced.
        var again = await app.SyncAsync(id);
        Assert.Equal(0, again.GetProperty("users").GetProperty("changed").GetInt32());
        Assert.Equal(0, again.GetProperty("groups").GetProperty("changed").GetInt32());
        Assert.Equal(ExpectedWarnings, Warnings(again));
    }

    [Fact]
    public async Task Member_ids_that_are_no_user_or_group_are_warnings_all_counted_and_the_first_100_listed()
    {
        var ghosts = Enumerable.Range(1, 150).Select(i => $"GHOST{i:D3}").ToArray();
        var users = new[] { ScimPayload.User("UADA", "ada@example.org", "Ada", "Lovelace") };
        var groups = new[]
        {
            ScimPayload.Group("GENG", "Engineering", ["UADA", .. ghosts]),
            ScimPayload.Group("GALL", "Everyone", "UADA", "GENG"),
        };
        groups[1]["members"]![1]!["type"] = "Group";
        using var bridge = FakeBridge.Healthy(users, groups);
        var id = await app.RegisterAsync(bridge);

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(150, run.GetProperty("warningCount").GetInt32());
        Assert.Equal(ghosts.Take(100).Select(g => $"unknown_member|Group|GENG|members|{g}"), Warnings(run));
    }

    [Fact]
    public async Task Members_read_from_a_group_of_its_own_get_the_same_replacement_and_warnings()
    {
        using var bridge = Serve(new FakeBridge(), Raw(BadUsers), Raw("""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[
             {"id":"GOWN","displayName":"Owners"}]}
            """));
        bridge.Authorized("/scim/Groups/GOWN", priority: 5).RespondWith(Body(Raw("""
            {"id":"GOWN","displayName":"Owners","members":[{"value":"UNUL"},{"value":"U{0xFF}"}]}
            """)));
        var id = await app.RegisterAsync(bridge);

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(["GOWN>UNUL", $"GOWN>U{Fffd}"], (await app.CurrentMembershipsAsync(id)).Order(StringComparer.Ordinal));
        Assert.Contains("text_replaced|Group|GOWN|members.value|0xFF", Warnings(run));
        Assert.Contains($"unknown_member|Group|GOWN|members|U{Fffd}", Warnings(run));
    }

    private async Task AssertStoredWithReplacementCharacters(Guid id)
    {
        Assert.Equal(
            [
                $"UBAD|Bad {Fffd} Byte|Caf{Fffd}(|Bad {Fffd} Byte",
                $"UNUL|Nul{Fffd}Byte|Byte|Nul{Fffd}Byte",
                $"USUR|Lone {Fffd} Surrogate|Surrogate|Lone {Fffd} Surrogate",
            ],
            await app.QueryAsync("SELECT scim_id, display_name, family_name, raw->>'displayName' FROM directory_users WHERE connection_id = @c ORDER BY 1", id));
        Assert.Equal([$"Lone {Fffd}|Lone {Fffd}"],
            await app.QueryAsync("SELECT formatted_name, raw->'name'->>'formatted' FROM directory_users WHERE connection_id = @c AND scim_id = 'USUR'", id));
        Assert.Equal([$"Eng{Fffd}(ineering|Eng{Fffd}(ineering|ext{Fffd}|ext{Fffd}"],
            await app.QueryAsync("SELECT display_name, raw->>'displayName', external_id, raw->>'externalId' FROM directory_groups WHERE connection_id = @c", id));
        Assert.Equal(["GBAD>UBAD", "GBAD>UNUL", $"GBAD>U{Fffd}GHOST"], (await app.CurrentMembershipsAsync(id)).Order(StringComparer.Ordinal));
    }

    private static string[] Warnings(JsonElement run) =>
        [.. run.GetProperty("warnings").EnumerateArray()
            .Select(w => string.Join('|', new[] { "kind", "resourceType", "resourceId", "attribute", "value" }.Select(p => w.GetProperty(p).GetString())))
            .Order(StringComparer.Ordinal)];

    private static FakeBridge Serve(FakeBridge bridge, byte[] users, byte[] groups)
    {
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.Authorized("/scim/Users").RespondWith(Body(users));
        bridge.Authorized("/scim/Groups").RespondWith(Body(groups));
        bridge.RejectOtherTokens();
        return bridge;
    }

    private static IResponseBuilder Body(byte[] bytes) =>
        Response.Create().WithStatusCode(200).WithHeader("Content-Type", FakeBridge.ScimJson).WithBody(bytes);

    /// <summary>The page as the bridge sends it: every {0xNN} becomes that raw byte, never re-encoded.</summary>
    private static byte[] Raw(string template)
    {
        var bytes = new List<byte>();
        var last = 0;
        foreach (Match match in RawByte().Matches(template))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(template[last..match.Index]));
            bytes.Add(byte.Parse(match.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            last = match.Index + match.Length;
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(template[last..]));
        return [.. bytes];
    }

    /// <summary>The same page with nothing PostgreSQL would refuse: the same ids, other text where the bad text was.</summary>
    private static byte[] Clean(string template) =>
        Encoding.UTF8.GetBytes(RawByte().Replace(template, "").Replace(@"\u0000", "", StringComparison.Ordinal)
            .Replace(@"\ud800", "", StringComparison.Ordinal).Replace(@"\udc00", "", StringComparison.Ordinal).Replace(@"\udfff", "", StringComparison.Ordinal));

    [GeneratedRegex(@"\{0x([0-9A-F]{2})\}")]
    private static partial Regex RawByte();
}
