using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Webhooks;

/// <summary>The service with its delivery worker driven by the tests (one call is one poll), on the real clock.</summary>
public sealed class WebhookApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings.Concat([new("Webhooks:WorkerEnabled", "false"), new("Webhooks:PrivilegedGroups:0", "Security Admins")]);
}

public sealed class WebhookDeliveryTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    internal static readonly JsonObjectBuilder Ada = new("U0000000000000000000000001", "ada@example.org", "Ada", "Lovelace");
    internal static readonly JsonObjectBuilder Grace = new("U0000000000000000000000002", "grace@example.org", "Grace", "Hopper");

    [Fact]
    public async Task A_privileged_grant_reaches_the_subscriber_within_one_poll_exactly_once_with_a_valid_signature()
    {
        const string tenant = "grant";
        using var bridge = FakeBridge.Healthy([Ada.User(), Grace.User()], [ScimPayload.Group("G1", "Owners", Ada.Id)]);
        var connection = await app.RegisterAsync(bridge, tenant, "Acme production");
        await app.SyncAsync(connection, tenant);
        using var subscriber = new WebhookSubscriber();
        var (webhook, secret) = await app.SubscribeAsync(subscriber.Url, ["access.privileged_granted"], tenant);

        ServeGroups(bridge, 40, ScimPayload.Group("G1", "Owners", Ada.Id, Grace.Id));
        var run = await app.SyncAsync(connection, tenant);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        await app.Worker().RunOnceAsync(CancellationToken.None);

        var received = Assert.Single(subscriber.Received);
        received.Verify(secret);
        Assert.Equal(received.ExpectedSignature(secret), received.Signature);
        Assert.StartsWith("application/json", received.ContentType, StringComparison.Ordinal);
        var payload = received.Payload;
        Assert.Equal("access.privileged_granted", payload.GetProperty("type").GetString());
        var data = payload.GetProperty("data");
        Assert.Equal(tenant, data.GetProperty("tenantId").GetString());
        Assert.Equal(connection, data.GetProperty("connectionId").GetGuid());
        Assert.Equal("Acme production", data.GetProperty("connectionName").GetString());
        Assert.Equal(run.GetProperty("id").GetGuid(), data.GetProperty("runId").GetGuid());
        Assert.Equal(Grace.Id, data.GetProperty("member").GetProperty("id").GetString());
        Assert.Equal("grace@example.org", data.GetProperty("member").GetProperty("name").GetString());
        Assert.Equal("G1", data.GetProperty("group").GetProperty("id").GetString());
        Assert.Equal("Owners", data.GetProperty("group").GetProperty("name").GetString());
        Assert.DoesNotContain(bridge.Token, received.Body, StringComparison.Ordinal);

        // Later polls send nothing more: exactly once.
        await app.Worker().RunOnceAsync(CancellationToken.None);
        Assert.Single(subscriber.Received);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var deliveries = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant}/webhooks/{webhook}/deliveries");
        var delivery = Assert.Single(deliveries.EnumerateArray());
        Assert.Equal("succeeded", delivery.GetProperty("status").GetString());
        Assert.Equal(received.EventId, delivery.GetProperty("eventId").GetInt64());
        var attempt = Assert.Single(delivery.GetProperty("attempts").EnumerateArray());
        Assert.Equal(204, attempt.GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task A_membership_of_a_group_that_is_not_privileged_raises_no_privileged_event()
    {
        const string tenant = "ordinary";
        using var bridge = FakeBridge.Healthy([Ada.User(), Grace.User()], [ScimPayload.Group("G2", "Engineering", Ada.Id)]);
        var connection = await app.RegisterAsync(bridge, tenant);
        await app.SyncAsync(connection, tenant);
        using var subscriber = new WebhookSubscriber();
        await app.SubscribeAsync(subscriber.Url, ["access.privileged_granted", "access.privileged_revoked"], tenant);

        ServeGroups(bridge, 40, ScimPayload.Group("G2", "Engineering", Grace.Id));
        await app.SyncAsync(connection, tenant);
        await app.Worker().RunOnceAsync(CancellationToken.None);

        Assert.Equal(["membership_added:" + Grace.Id, "membership_removed:" + Ada.Id], await app.ChangeEventsAsync(connection));
        Assert.Empty(subscriber.Received);
    }

    [Fact]
    public async Task Redelivering_sends_the_same_event_again_with_the_same_webhook_id()
    {
        const string tenant = "redeliver";
        using var bridge = FakeBridge.Healthy([Ada.User()], []);
        var connection = await app.RegisterAsync(bridge, tenant);
        await app.SyncAsync(connection, tenant);
        using var subscriber = new WebhookSubscriber();
        var (webhook, secret) = await app.SubscribeAsync(subscriber.Url, ["user.joined"], tenant);
        bridge.Authorized("/scim/Users", priority: 40).RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse([Ada.User(), Grace.User()], 2, 1)));
        await app.SyncAsync(connection, tenant);
        await app.Worker().RunOnceAsync(CancellationToken.None);
        var first = Assert.Single(subscriber.Received);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var url = $"/api/v1/tenants/{tenant}/webhooks/{webhook}";
        var original = (await client.GetFromJsonAsync<JsonElement>(url + "/deliveries"))[0].GetProperty("id").GetGuid();

        var redelivered = await client.PostAsync($"{url}/deliveries/{original}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redelivered.StatusCode);
        await app.Worker().RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, subscriber.Received.Count);
        var again = subscriber.Received[1];
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first.Body, again.Body);
        again.Verify(secret);
        var deliveries = await client.GetFromJsonAsync<JsonElement>(url + "/deliveries");
        Assert.Equal(["succeeded", "succeeded"], deliveries.EnumerateArray().Select(d => d.GetProperty("status").GetString()));

        // Nothing goes to a disabled webhook, redeliveries included; an unknown delivery is a 404.
        (await client.PatchAsJsonAsync(url, new { enabled = false })).EnsureSuccessStatusCode();
        var refused = await client.PostAsync($"{url}/deliveries/{original}/redeliver", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"{url}/deliveries/{Guid.NewGuid()}/redeliver", null)).StatusCode);
    }

    [Fact]
    public async Task Subscriptions_are_created_read_changed_rotated_and_deleted_and_the_secret_is_shown_only_when_made()
    {
        const string tenant = "crud";
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var (id, secret) = await app.SubscribeAsync("https://hooks.example.org/1password/", ["user.left", "user.left", "sync.failed"], tenant);
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        var url = $"/api/v1/tenants/{tenant}/webhooks/{id}";

        var read = await client.GetFromJsonAsync<JsonElement>(url);
        Assert.Equal("https://hooks.example.org/1password/", read.GetProperty("url").GetString());
        Assert.Equal(["user.left", "sync.failed"], read.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.True(read.GetProperty("enabled").GetBoolean());
        Assert.False(read.TryGetProperty("signingSecret", out _));
        Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant}/webhooks")).EnumerateArray());
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>("/api/v1/tenants/someone-else/webhooks")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/tenants/someone-else/webhooks/{id}")).StatusCode);

        var changed = await (await client.PatchAsJsonAsync(url, new { events = new[] { "connection.stale" }, enabled = false })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["connection.stale"], changed.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.False(changed.GetProperty("enabled").GetBoolean());

        var rotated = await client.PostAsync(url + "/secret", null);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("signingSecret").GetString()!;
        Assert.StartsWith("whsec_", newSecret, StringComparison.Ordinal);
        Assert.NotEqual(secret, newSecret);
        Assert.DoesNotContain(secret, await app.DumpDatabaseAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(newSecret, await app.DumpDatabaseAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task Unknown_or_missing_event_types_get_a_400_naming_the_field()
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        foreach (var body in new object[]
        {
            new { url = "https://hooks.example.org/x", events = new[] { "user.left", "user.promoted" } },
            new { url = "https://hooks.example.org/x", events = Array.Empty<string>() },
            new { url = "https://hooks.example.org/x" },
        })
        {
            var response = await client.PostAsJsonAsync("/api/v1/tenants/acme/webhooks", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("events", out _));
        }
    }

    internal static void ServeGroups(FakeBridge bridge, int priority, params System.Text.Json.Nodes.JsonObject[] groups) =>
        bridge.Authorized("/scim/Groups", priority).RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse(groups, groups.Length, 1)));

    internal static void ServeUsers(FakeBridge bridge, int priority, params System.Text.Json.Nodes.JsonObject[] users) =>
        bridge.Authorized("/scim/Users", priority).RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse(users, users.Length, 1)));
}

internal sealed record JsonObjectBuilder(string Id, string UserName, string Given, string Family)
{
    public System.Text.Json.Nodes.JsonObject User(bool active = true) => ScimPayload.User(Id, UserName, Given, Family, active);
}
