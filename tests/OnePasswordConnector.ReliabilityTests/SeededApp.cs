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
    public Guid WebhookId { get; private set; }
    public Guid DeliveryId { get; private set; }
    public string WebhookSecret { get; private set; } = "";
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

        // A webhook with deliveries: a sync that fails (the bridge answers 500) and one that recovers. Nothing listens
        // at its URL, so its deliveries stay pending and retry.
        (WebhookId, WebhookSecret) = await this.SubscribeAsync("http://127.0.0.1:9/hook", ["sync.failed", "sync.recovered"]);
        var failing = Guid.NewGuid();
        bridge.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/scim/ServiceProviderConfig").UsingGet()).WithGuid(failing).AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(500));
        await SyncAsync(ConnectionId);
        bridge.Server.DeleteMapping(failing);
        await SyncAsync(ConnectionId);
        DeliveryId = Guid.Parse((await QueryAsync("SELECT id FROM webhook_deliveries ORDER BY event_id LIMIT 1", Guid.Empty)).Single());
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
        "webhookId" => WebhookId.ToString(),
        "deliveryId" => DeliveryId.ToString(),
        var name => throw new InvalidOperationException($"Route parameter '{name}' of {route} has no test value: add one here."),
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
    public static partial System.Text.RegularExpressions.Regex RouteParameter();
}
