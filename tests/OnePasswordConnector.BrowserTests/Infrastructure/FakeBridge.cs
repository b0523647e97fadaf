using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace OnePasswordConnector.BrowserTests.Infrastructure;

/// <summary>
/// A healthy 1Password SCIM Bridge faked with WireMock.Net: it answers the registration probe for one token and
/// rejects every other token with 401, as a real bridge does.
/// </summary>
public sealed class FakeBridge : IDisposable
{
    private const string ScimJson = "application/scim+json";

    public FakeBridge()
    {
        Server = WireMockServer.Start();
        Authorized("/scim/ServiceProviderConfig").RespondWith(Json(200, """
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
             "patch":{"supported":true},"bulk":{"supported":false,"maxOperations":0,"maxPayloadSize":0},
             "filter":{"supported":true,"maxResults":10000},"changePassword":{"supported":false},
             "sort":{"supported":false},"etag":{"supported":false},
             "authenticationSchemes":[{"type":"oauthbearertoken","name":"OAuth Bearer Token","description":"Bearer token"}]}
            """));
        Authorized("/scim/Users").RespondWith(Json(200, """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,
             "Resources":[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"AAAAAAAAAAAAAAAAAAAAAAAAA1",
               "userName":"ada@example.org","name":{"givenName":"Ada","familyName":"Lovelace"},"displayName":"Ada Lovelace",
               "emails":[{"value":"ada@example.org","type":"work","primary":true}],"active":true}]}
            """));
        Server.Given(Request.Create().UsingAnyMethod()
                .WithHeader("Authorization", $"Bearer {Token}", WireMock.Matchers.MatchBehaviour.RejectOnMatch))
            .AtPriority(100)
            .RespondWith(Json(401, """
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"Invalid bearer token"}
                """));
    }

    public WireMockServer Server { get; }

    /// <summary>The one token this bridge accepts.</summary>
    public string Token { get; } = "ops_browser_" + Guid.NewGuid().ToString("N");

    public string Url => Server.Url!;

    private IRespondWithAProvider Authorized(string path) =>
        Server.Given(Request.Create().WithPath(path).UsingGet().WithHeader("Authorization", $"Bearer {Token}")).AtPriority(50);

    private static IResponseBuilder Json(int status, string body) =>
        Response.Create().WithStatusCode(status).WithHeader("Content-Type", ScimJson).WithBody(body);

    public void Dispose() => Server.Stop();
}
