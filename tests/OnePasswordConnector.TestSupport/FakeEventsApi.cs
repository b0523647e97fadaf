using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// The 1Password Events API faked over real HTTP with WireMock.Net, answering in the shape of 1Password's reference:
/// <c>GET /api/v2/auth/introspect</c> and <c>POST /api/v2/signinattempts</c> with a reset cursor
/// (<c>{ "limit", "start_time" }</c>) or <c>{ "cursor" }</c>, answered by <c>{ "cursor", "has_more", "items" }</c>.
/// </summary>
public sealed class FakeEventsApi : IDisposable
{
    public const string SignInPath = "/api/v2/signinattempts";

    public FakeEventsApi(string? token = null)
    {
        // Shaped like the JWT an Events Reporting integration gets, so the secret scan looks for something realistic.
        Token = token ?? "eyJhbGciOiJFUzI1NiIsImtpZCI6ImV2ZW50cyJ9.eyJhdWQiOlsiY29tLjFwYXNzd29yZC5ldmVudHMiXX0." + Guid.NewGuid().ToString("N");
        SecretScan.Register(Token);
        Server = WireMockServer.Start();
    }

    public WireMockServer Server { get; }

    public string Token { get; }

    public string Url => Server.Url!;

    /// <summary>An Events API whose token may read sign-in attempts of <paramref name="accountUuid"/>.</summary>
    public static FakeEventsApi Healthy(string accountUuid = "ACCOUNTAAAAAAAAAAAAAAAAAAA")
    {
        var api = new FakeEventsApi();
        api.ServeIntrospect(["signinattempts", "itemusages", "auditevents"], accountUuid);
        api.RejectOtherTokens();
        return api;
    }

    public void ServeIntrospect(string[] features, string? accountUuid) =>
        Server.Given(Request.Create().WithPath("/api/v2/auth/introspect").UsingGet().WithHeader("Authorization", $"Bearer {Token}")).AtPriority(50)
            .RespondWith(Json(200, new JsonObject
            {
                ["uuid"] = "INTEGRATIONAAAAAAAAAAAAAAA",
                ["issued_at"] = "2026-01-01T00:00:00Z",
                ["features"] = new JsonArray([.. features.Select(f => (JsonNode)f)]),
                ["account_uuid"] = accountUuid,
            }));

    /// <summary>A wrong, expired or revoked token: 401 with the Events API's error body, on every path.</summary>
    public void RejectOtherTokens() =>
        Server.Given(Request.Create().UsingAnyMethod().WithHeader("Authorization", $"Bearer {Token}", WireMock.Matchers.MatchBehaviour.RejectOnMatch)).AtPriority(100)
            .RespondWith(Error(401, "Unauthorized"));

    /// <summary>The answer to a reset cursor (a request with start_time and no cursor).</summary>
    public void ServeFirstPage(JsonObject page, int priority = 20) =>
        SignIns(body => !body.TryGetProperty("cursor", out _) && body.TryGetProperty("start_time", out _), priority).RespondWith(Json(200, page));

    /// <summary>The answer to <c>{ "cursor": cursor }</c>.</summary>
    public void ServePageAfter(string cursor, JsonObject page, int priority = 20) =>
        SignIns(body => body.TryGetProperty("cursor", out var c) && c.GetString() == cursor, priority).RespondWith(Json(200, page));

    /// <summary>
    /// The items paged <paramref name="pageSize"/> at a time: the reset cursor gets the first page and cursor c1, c1 the
    /// second, and so on; the last page says has_more false with cursor cN, and cN itself answers an empty last page.
    /// Returns cN, where the next events continue.
    /// </summary>
    public string ServeAll(IReadOnlyList<JsonObject> items, int pageSize)
    {
        var pages = Math.Max(1, (items.Count + pageSize - 1) / pageSize);
        for (var k = 0; k < pages; k++)
        {
            var page = Page($"c{k + 1}", k < pages - 1, items.Skip(k * pageSize).Take(pageSize));
            if (k == 0)
            {
                ServeFirstPage(page);
            }
            else
            {
                ServePageAfter($"c{k}", page);
            }
        }

        var last = $"c{pages}";
        ServePageAfter(last, Page(last, false, []));
        return last;
    }

    /// <summary>Every sign-in request's cursor, in order; "reset" for a request from start_time.</summary>
    public List<string> SignInRequests() => Server.LogEntries
        .Where(e => e.RequestMessage.Path == SignInPath)
        .OrderBy(e => e.RequestMessage.DateTime)
        .Select(e => JsonDocument.Parse(e.RequestMessage.Body!).RootElement)
        .Select(b => b.TryGetProperty("cursor", out var c) ? c.GetString()! : "reset")
        .ToList();

    /// <summary>The start_time of the first reset request.</summary>
    public DateTimeOffset FirstStartTime() => Server.LogEntries
        .Where(e => e.RequestMessage.Path == SignInPath)
        .Select(e => JsonDocument.Parse(e.RequestMessage.Body!).RootElement)
        .Where(b => b.TryGetProperty("start_time", out _))
        .Select(b => DateTimeOffset.Parse(b.GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture))
        .First();

    public IRespondWithAProvider SignIns(Func<JsonElement, bool> body, int priority = 20) =>
        Server.Given(Request.Create().WithPath(SignInPath).UsingPost().WithHeader("Authorization", $"Bearer {Token}")
                .WithBody((string? text) => text is not null && body(JsonDocument.Parse(text).RootElement)))
            .AtPriority(priority);

    /// <summary>Every sign-in request, whatever its body: for an Events API that fails the whole run.</summary>
    public IRespondWithAProvider AnySignIns(int priority = 5) =>
        Server.Given(Request.Create().WithPath(SignInPath).UsingPost().WithHeader("Authorization", $"Bearer {Token}")).AtPriority(priority);

    public static JsonObject Page(string cursor, bool hasMore, IEnumerable<JsonObject> items) => new()
    {
        ["cursor"] = cursor,
        ["has_more"] = hasMore,
        ["items"] = new JsonArray([.. items.Select(i => (JsonNode)i.DeepClone())]),
    };

    /// <summary>A sign-in attempt as 1Password's reference shows one.</summary>
    public static JsonObject Attempt(string uuid, DateTimeOffset at, string category, string userUuid, string email, string? type = null) => new()
    {
        ["uuid"] = uuid,
        ["session_uuid"] = "SESSION" + uuid,
        ["timestamp"] = at.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture),
        ["category"] = category,
        ["type"] = type ?? (category == "success" ? "credentials_ok" : category == "mfa_failed" ? "totp_bad" : "password_secret_bad"),
        ["country"] = "CA",
        ["details"] = null,
        ["target_user"] = new JsonObject { ["uuid"] = userUuid, ["name"] = email.Split('@')[0], ["email"] = email },
        ["client"] = new JsonObject
        {
            ["app_name"] = "1Password Browser Extension",
            ["app_version"] = "20240",
            ["platform_name"] = "Chrome",
            ["platform_version"] = "120.0",
            ["os_name"] = "MacOSX",
            ["os_version"] = "14.2",
            ["ip_address"] = "203.0.113.7",
        },
        ["location"] = new JsonObject { ["country"] = "CA", ["region"] = "Ontario", ["city"] = "Toronto", ["latitude"] = 43.6, ["longitude"] = -79.4 },
    };

    public static IResponseBuilder Json(int status, JsonNode body) =>
        Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body.ToJsonString());

    /// <summary>The Events API's error body (the OpenAPI document's Error schema).</summary>
    public static IResponseBuilder Error(int status, string message) =>
        Json(status, new JsonObject { ["Error"] = new JsonObject { ["Message"] = message } });

    public void Dispose() => Server.Stop();
}
