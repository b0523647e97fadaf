using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// A 1Password SCIM Bridge faked over real HTTP with WireMock.Net. By default it answers like a healthy bridge at
/// <c>/scim</c> with the users and groups it is given; tests add mappings to misbehave.
/// </summary>
public sealed class FakeBridge : IDisposable
{
    public const string ScimJson = "application/scim+json";

    public FakeBridge(string? token = null)
    {
        Token = token ?? "ops_bridge_" + Guid.NewGuid().ToString("N");
        SecretScan.Register(Token);
        Server = WireMockServer.Start();
    }

    public WireMockServer Server { get; }

    public string Token { get; }

    public string Url => Server.Url!;

    public static FakeBridge Healthy(JsonObject[]? users = null, JsonObject[]? groups = null)
    {
        var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServeList("Users", users ?? [ScimPayload.User("AAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org", "Ada", "Lovelace")]);
        bridge.ServeList("Groups", groups ?? []);
        bridge.RejectOtherTokens();
        return bridge;
    }

    public void ServeServiceProviderConfig(string basePath = "/scim") =>
        Authorized($"{basePath}/ServiceProviderConfig").RespondWith(Json(200, ScimPayload.ServiceProviderConfig()));

    public void ServeHealth() =>
        Authorized("/health").RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
            .WithBody("""{"build":"209163","version":"2.9.16","reports":[{"source":"SCIMServer","time":"2026-11-01T00:00:00Z","expires":"2026-11-01T00:10:00Z","state":"healthy"}],"retrievedAt":"2026-11-01T00:00:00Z"}"""));

    /// <summary>Serves a resource list as one page per request, whatever count is asked (paging is tested elsewhere).</summary>
    public void ServeList(string resource, JsonObject[] items, string basePath = "/scim") =>
        Authorized($"{basePath}/{resource}").RespondWith(Json(200, ScimPayload.ListResponse(items, items.Length, 1)));

    /// <summary>Serves one page for one exact startIndex; tests script a paging quirk page by page.</summary>
    public void ServePage(string resource, int startIndex, JsonNode body, int status = 200) =>
        Server.Given(Request.Create().WithPath($"/scim/{resource}").UsingGet()
                .WithParam("startIndex", startIndex.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithHeader("Authorization", $"Bearer {Token}"))
            .AtPriority(10)
            .RespondWith(Json(status, body));

    /// <summary>Serves a list correctly paged: each startIndex gets the next <paramref name="pageSize"/> items.</summary>
    public void ServePaged(string resource, IReadOnlyList<JsonObject> items, int pageSize)
    {
        for (var start = 1; start <= Math.Max(1, items.Count); start += pageSize)
        {
            ServePage(resource, start, ScimPayload.ListResponse(items.Skip(start - 1).Take(pageSize), items.Count, start));
        }
    }

    /// <summary>A wrong or missing token gets 401 on every path; the right token on an unknown path gets WireMock's 404.</summary>
    public void RejectOtherTokens() =>
        Server.Given(Request.Create().UsingAnyMethod().WithHeader("Authorization", $"Bearer {Token}", WireMock.Matchers.MatchBehaviour.RejectOnMatch)).AtPriority(100)
            .RespondWith(Json(401, ScimPayload.Error(401, "Invalid bearer token")));

    public IRespondWithAProvider Authorized(string path, int priority = 50) =>
        Server.Given(Request.Create().WithPath(path).UsingGet().WithHeader("Authorization", $"Bearer {Token}")).AtPriority(priority);

    /// <summary>A 200 SCIM JSON answer, for WireMock callbacks that decide their answer while the request waits.</summary>
    public static WireMock.ResponseMessage JsonMessage(JsonNode body) => new()
    {
        StatusCode = 200,
        Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new(ScimJson) },
        BodyData = new WireMock.Util.BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = WireMock.Types.BodyType.String },
    };

    public static IResponseBuilder Json(int status, JsonNode body) =>
        Response.Create().WithStatusCode(status).WithHeader("Content-Type", ScimJson).WithBody(body.ToJsonString());

    public void Dispose() => Server.Stop();
}

/// <summary>Builders for SCIM 2.0 payloads as a 1Password bridge sends them (RFC 7643, RFC 7644).</summary>
public static class ScimPayload
{
    public static JsonObject User(string id, string userName, string given, string family, bool active = true, params string[] extraEmails)
    {
        var emails = new JsonArray(new JsonObject { ["value"] = userName, ["type"] = "work", ["primary"] = true });
        foreach (var email in extraEmails)
        {
            emails.Add(new JsonObject { ["value"] = email, ["type"] = "other", ["primary"] = false });
        }

        return new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User"),
            ["id"] = id,
            ["externalId"] = "",
            ["userName"] = userName,
            ["name"] = new JsonObject { ["givenName"] = given, ["familyName"] = family, ["formatted"] = $"{given} {family}" },
            ["displayName"] = $"{given} {family}",
            ["emails"] = emails,
            ["active"] = active,
            ["meta"] = new JsonObject { ["resourceType"] = "User", ["created"] = "2025-01-02T03:04:05Z", ["lastModified"] = "2025-06-07T08:09:10.123Z" },
        };
    }

    /// <summary>Five people with ids U…1 to U…5 in id order, the team paging and fault scenarios page over two at a time.</summary>
    public static JsonObject[] TeamOfFive() =>
    [
        User("U0000000000000000000000001", "ada@example.org", "Ada", "Lovelace"),
        User("U0000000000000000000000002", "grace@example.org", "Grace", "Hopper"),
        User("U0000000000000000000000003", "linus@example.org", "Linus", "Torvalds"),
        User("U0000000000000000000000004", "ken@example.org", "Ken", "Thompson"),
        User("U0000000000000000000000005", "barbara@example.org", "Barbara", "Liskov"),
    ];

    public static JsonObject Group(string id, string displayName, params string[] memberIds)
    {
        var members = new JsonArray();
        foreach (var member in memberIds)
        {
            members.Add(new JsonObject { ["value"] = member, ["type"] = "User" });
        }

        return new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Group"),
            ["id"] = id,
            ["displayName"] = displayName,
            ["members"] = members,
            ["meta"] = new JsonObject { ["resourceType"] = "Group" },
        };
    }

    public static JsonObject ListResponse(IEnumerable<JsonObject> items, int totalResults, int startIndex, int? itemsPerPage = null)
    {
        var resources = new JsonArray();
        foreach (var item in items)
        {
            resources.Add(item.DeepClone());
        }

        return new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:ListResponse"),
            ["totalResults"] = totalResults,
            ["startIndex"] = startIndex,
            ["itemsPerPage"] = itemsPerPage ?? resources.Count,
            ["Resources"] = resources,
        };
    }

    public static JsonObject ServiceProviderConfig() => JsonNode.Parse("""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
         "patch":{"supported":true},"bulk":{"supported":false,"maxOperations":0,"maxPayloadSize":0},
         "filter":{"supported":true,"maxResults":10000},"changePassword":{"supported":false},
         "sort":{"supported":false},"etag":{"supported":false},
         "authenticationSchemes":[{"type":"oauthbearertoken","name":"OAuth Bearer Token","description":"Bearer token"}]}
        """)!.AsObject();

    /// <summary>An RFC 7644 §3.12 error; <c>status</c> is a string, as many servers send it.</summary>
    public static JsonObject Error(int status, string detail) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:Error"),
        ["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["detail"] = detail,
    };

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
