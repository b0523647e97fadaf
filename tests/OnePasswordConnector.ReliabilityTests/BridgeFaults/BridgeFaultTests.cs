using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Settings;

namespace OnePasswordConnector.ReliabilityTests.BridgeFaults;

public sealed class FaultApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings.Where(s => s.Key is not ("Scim:Retries" or "Scim:RequestTimeoutSeconds")),
        new("Scim:Retries", "3"),
        new("Scim:RequestTimeoutSeconds", "1"),
        new("Scim:MaxResponseMegabytes", "16"),
        new("Scim:CircuitBreakerFailures", "100"),
    ];
}

/// <summary>
/// Each fault hits the second page of /Users of a bridge whose previous sync stored a team of five. A fault the
/// client can ride out must end in the complete team; any other must fail the run with an error that names it,
/// and leave the stored team exactly as it was.
/// </summary>
public sealed class BridgeFaultTests(FaultApp app) : IClassFixture<FaultApp>
{
    private static readonly JsonObject[] Team = ScimPayload.TeamOfFive();

    private static readonly string[] TeamIds = [.. Team.Select(u => (string)u["id"]!)];

    public static TheoryData<string> Faults => [.. Scenarios.Keys];

    /// <summary>Fault name → (how page 2 misbehaves, whether the sync must survive it, the error it must name otherwise).</summary>
    private static readonly Dictionary<string, (Action<FakeBridge> Page2, bool Survives, string? Error)> Scenarios = new()
    {
        ["429 with Retry-After in seconds, then the page"] = (b => Flaky(b, Response.Create().WithStatusCode(429).WithHeader("Retry-After", "1")), true, null),
        ["429 with Retry-After as an HTTP date, then the page"] = (b => Flaky(b, Response.Create().WithStatusCode(429)
            .WithHeader("Retry-After", DateTime.UtcNow.AddSeconds(1).ToString("R", CultureInfo.InvariantCulture))), true, null),
        ["a burst of 500, 502 and 503, then the page"] = (b => Burst(b, 500, 502, 503), true, null),
        ["503 on every attempt"] = (b => Always(b, Response.Create().WithStatusCode(503)), false, "failed with 503"),
        ["the connection reset on every attempt"] = (b => Always(b, Response.Create().WithFault(FaultType.EMPTY_RESPONSE)), false, "Users page 2"),
        ["a response that stalls past the timeout"] = (b => Always(b, Page(Team.Skip(2).Take(2), 5, 3).WithDelay(TimeSpan.FromSeconds(3))), false, "did not answer"),
        ["truncated JSON"] = (b => Always(b, Body(ScimPayload.ListResponse(Team.Skip(2).Take(2), 5, 3).ToJsonString()[..60])), false, "malformed JSON"),
        ["valid JSON that is not a ListResponse"] = (b => Always(b, Body("""{"users":[1,2,3]}""")), false, "not a SCIM ListResponse"),
        ["a 200 HTML login page"] = (b => Always(b, Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/html")
            .WithBody("<html><body><form>Sign in</form></body></html>")), false, "HTML page"),
        ["a 401 in the middle of the enumeration"] = (b => Always(b, Response.Create().WithStatusCode(401)), false, "rejected the bearer token"),
        ["totalResults grows between pages"] = (b => Always(b, Page(Team.Skip(2).Take(2), 6, 3)), false, "totalResults changed from 5 to 6"),
        ["totalResults shrinks between pages"] = (b => Always(b, Page(Team.Skip(2).Take(2), 4, 3)), false, "totalResults changed from 5 to 4"),
        ["a duplicate id that hides a missing one"] = (b => Always(b, Page([Team[1], Team[3]], 5, 3)), false, "incomplete"),
        ["a page of 20 MB, over the configured 16 MB cap"] = (b => Always(b, Body(HugePage(20))), false, "more than 16 MB"),
        ["attributes nested 200 deep"] = (b => Always(b, Body(DeeplyNested(200))), false, "malformed JSON"),
        ["bytes that are not UTF-8 in a value (stored as U+FFFD)"] = (b => Always(b, Response.Create().WithStatusCode(200).WithHeader("Content-Type", FakeBridge.ScimJson)
            .WithBody(NotUtf8InName())), true, null),
        ["attribute values of the wrong type"] = (b => Always(b, Body(WrongTypes())), true, null),
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_fault_on_page_two_is_survived_or_fails_the_run_without_touching_stored_data(string fault)
    {
        var (page2, survives, error) = Scenarios[fault];
        using var bridge = new FakeBridge();
        Serve(bridge, _ => { });
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        var before = await app.QueryAsync("SELECT scim_id, user_name, active, valid_from FROM directory_users WHERE connection_id = @c ORDER BY 1", id);

        Serve(bridge, page2);
        var run = await app.SyncAsync(id);

        if (survives)
        {
            Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
            Assert.Equal(TeamIds, (await app.CurrentUsersAsync(id)).Select(u => u.Split('|')[0]));
        }
        else
        {
            Assert.True(run.GetProperty("status").GetString() == "failed", run.ToString());
            Assert.Contains(error!, run.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(before, await app.QueryAsync("SELECT scim_id, user_name, active, valid_from FROM directory_users WHERE connection_id = @c ORDER BY 1", id));
            Assert.Empty(await app.ChangeEventsAsync(id));
        }

        Assert.DoesNotContain(bridge.Token, run.ToString(), StringComparison.Ordinal);
    }

    private static void Serve(FakeBridge bridge, Action<FakeBridge> page2)
    {
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        bridge.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), 5, 1));
        bridge.ServePage("Users", 3, ScimPayload.ListResponse(Team.Skip(2).Take(2), 5, 3));
        bridge.ServePage("Users", 5, ScimPayload.ListResponse(Team.Skip(4), 5, 5));
        bridge.ServePage("Users", 6, ScimPayload.ListResponse([], 5, 6));
        page2(bridge);
        bridge.RejectOtherTokens();
    }

    private static IRequestBuilder Page2Request() =>
        Request.Create().WithPath("/scim/Users").WithParam("startIndex", "3").UsingGet();

    private static void Always(FakeBridge bridge, IResponseBuilder response) =>
        bridge.Server.Given(Page2Request()).AtPriority(1).RespondWith(response);

    private static void Flaky(FakeBridge bridge, IResponseBuilder first) =>
        bridge.Server.Given(Page2Request()).InScenario("flaky").WillSetStateTo("recovered").AtPriority(1).RespondWith(first);

    private static void Burst(FakeBridge bridge, params int[] statuses)
    {
        var state = (string?)null;
        for (var i = 0; i < statuses.Length; i++)
        {
            var given = bridge.Server.Given(Page2Request()).InScenario("burst").AtPriority(1);
            given = state is null ? given : given.WhenStateIs(state);
            state = $"after-{i}";
            given.WillSetStateTo(state).RespondWith(Response.Create().WithStatusCode(statuses[i]));
        }
    }

    private static IResponseBuilder Page(IEnumerable<JsonObject> users, int total, int startIndex) =>
        FakeBridge.Json(200, ScimPayload.ListResponse(users, total, startIndex));

    private static IResponseBuilder Body(string body) =>
        Response.Create().WithStatusCode(200).WithHeader("Content-Type", FakeBridge.ScimJson).WithBody(body);

    /// <summary>Page 2 with raw bytes 0xC3 0x28 0xFF in Linus's formatted name, as the bridge sends them.</summary>
    private static byte[] NotUtf8InName()
    {
        var page = ScimPayload.ListResponse(Team.Skip(2).Take(2), 5, 3).ToJsonString().Split("Linus Torvalds\"", 2);
        return [.. Encoding.UTF8.GetBytes(page[0]), 0xC3, 0x28, 0xFF, 0x22, .. Encoding.UTF8.GetBytes(page[1])];
    }

    private static string HugePage(int megabytes)
    {
        var user = ScimPayload.User("U0000000000000000000000003", "linus@example.org", "Linus", "Torvalds");
        user["nickName"] = new string('x', megabytes * 1024 * 1024);
        return ScimPayload.ListResponse([user, Team[3]], 5, 3).ToJsonString();
    }

    private static string DeeplyNested(int depth)
    {
        var user = ScimPayload.User("U0000000000000000000000003", "linus@example.org", "Linus", "Torvalds").ToJsonString();
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        var page = ScimPayload.ListResponse([Team[3]], 5, 3).ToJsonString();
        return page.Replace("\"Resources\":[", "\"Resources\":[" + user[..^1] + ",\"deep\":" + nested + "},", StringComparison.Ordinal);
    }

    /// <summary>Lenient parsing: strings where objects belong, numbers where strings belong, an unknown extension.</summary>
    private static string WrongTypes()
    {
        var linus = ScimPayload.User("U0000000000000000000000003", "linus@example.org", "Linus", "Torvalds");
        linus["name"] = "Linus Torvalds";
        linus["emails"] = "linus@example.org";
        linus["active"] = "true";
        linus["meta"] = 42;
        linus["urn:ietf:params:scim:schemas:extension:acme:2.0:User"] = new JsonObject { ["costCenter"] = new JsonArray(1, 2) };
        var ken = ScimPayload.User("U0000000000000000000000004", "ken@example.org", "Ken", "Thompson");
        ken["displayName"] = 12345;
        ken["groups"] = new JsonArray(new JsonObject { ["value"] = "g1", ["ref"] = "old-bridge-style" });
        return JsonSerializer.Serialize(ScimPayload.ListResponse([linus, ken], 5, 3));
    }
}
