using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.ReliabilityTests;

/// <summary>The service with one synced connection for tenant acme and one for globex: real ids for every route.</summary>
public partial class SeededApp : SyncApp
{
    private FakeBridge? bridge;

    public Guid ConnectionId { get; private set; }
    public Guid GlobexConnectionId { get; private set; }
    public Guid RunId { get; private set; }
    public Guid ReviewId { get; private set; }
    public const string UserId = "U0000000000000000000000001";
    public const string GroupId = "g00000000000000000000000001";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServePaged("Users",
        [
            ScimPayload.User(UserId, "ada@example.org", "Ada", "Lovelace"),
            ScimPayload.User("U0000000000000000000000002", "grace@example.org", "Grace", "Hopper"),
        ], PageSize);
        bridge.ServePaged("Groups", [ScimPayload.Group(GroupId, "Owners", UserId)], PageSize);
        bridge.RejectOtherTokens();
        ConnectionId = await RegisterAsync(bridge);
        RunId = (await SyncAsync(ConnectionId)).GetProperty("id").GetGuid();
        using (var client = ClientWithKey(AdminKey))
        {
            var review = await client.PostAsJsonAsync($"/api/v1/tenants/{Acme}/connections/{ConnectionId}/reviews", new { name = "Seeded review" });
            ReviewId = (await review.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }

        GlobexConnectionId = await RegisterAsync(bridge, Globex, "Globex");
    }

    public override async ValueTask DisposeAsync()
    {
        bridge?.Dispose();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A route template with a real value of the seeded directory in each of its parameters.</summary>
    public string Fill(string route) => RouteParameter().Replace(route, match => match.Groups[1].Value switch
    {
        "tenantId" => Acme,
        "connectionId" => ConnectionId.ToString(),
        "runId" => RunId.ToString(),
        "reviewId" => ReviewId.ToString(),
        "userId" => UserId,
        "groupId" => GroupId,
        var name => throw new InvalidOperationException($"Route parameter '{name}' of {route} has no test value: add one here."),
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
    public static partial System.Text.RegularExpressions.Regex RouteParameter();
}
