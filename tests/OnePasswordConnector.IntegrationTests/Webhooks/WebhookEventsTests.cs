using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using OnePasswordConnector.TestSupport;
using OnePasswordConnector.Webhooks;
using WireMock.RequestBuilders;
using static OnePasswordConnector.IntegrationTests.Webhooks.WebhookDeliveryTests;

namespace OnePasswordConnector.IntegrationTests.Webhooks;

/// <summary>Every event type, raised by what really causes it, with the payload docs/webhooks.md shows.</summary>
public sealed partial class WebhookEventsTests
{
    private static readonly JsonObjectBuilder Linus = new("U0000000000000000000000003", "linus@example.org", "Linus", "Torvalds");

    [Fact]
    public async Task Every_event_type_is_raised_by_its_cause_once_with_the_payload_the_docs_show()
    {
        var time = new FakeTimeProvider(SchedulerApp.Epoch);
        await using var app = await SchedulerApp.StartAsync(time, null,
            new("Webhooks:WorkerEnabled", "false"), new("Webhooks:PrivilegedGroups:0", "Security Admins"));
        using var bridge = FakeBridge.Healthy([Ada.User(), Grace.User()],
            [ScimPayload.Group("G1", "Owners", Ada.Id), ScimPayload.Group("G2", "Security Admins"), ScimPayload.Group("G3", "Engineering", Ada.Id)]);
        var connection = await app.RegisterAsync(bridge, "acme", "Acme production");
        await app.SyncAsync(connection);
        using var subscriber = new WebhookSubscriber();
        var (_, secret) = await app.SubscribeAsync(subscriber.Url, WebhookEventTypes.All);

        // Grace is deactivated and made a security admin, Ada leaves Owners and Engineering, Linus joins.
        time.Advance(TimeSpan.FromMinutes(10));
        ServeUsers(bridge, 40, Ada.User(), Grace.User(active: false), Linus.User());
        ServeGroups(bridge, 40, ScimPayload.Group("G1", "Owners"), ScimPayload.Group("G2", "Security Admins", Grace.Id), ScimPayload.Group("G3", "Engineering"));
        await app.SyncAsync(connection);

        // Linus leaves.
        time.Advance(TimeSpan.FromMinutes(10));
        ServeUsers(bridge, 30, Ada.User(), Grace.User(active: false));
        await app.SyncAsync(connection);

        // The bridge rejects the token, then accepts it again.
        time.Advance(TimeSpan.FromMinutes(10));
        var rejecting = Guid.NewGuid();
        bridge.Server.Given(Request.Create().UsingAnyMethod()).WithGuid(rejecting).AtPriority(1)
            .RespondWith(FakeBridge.Json(401, ScimPayload.Error(401, "Invalid bearer token")));
        var failed = await app.SyncAsync(connection);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        time.Advance(TimeSpan.FromMinutes(10));
        bridge.Server.DeleteMapping(rejecting);
        var recovered = await app.SyncAsync(connection);
        Assert.Equal("succeeded", recovered.GetProperty("status").GetString());

        // Then no successful sync for twice the interval (1440 minutes): stale, once.
        time.Advance(TimeSpan.FromMinutes(2 * 1440) - TimeSpan.FromSeconds(1));
        await app.Worker().RunOnceAsync(CancellationToken.None);
        Assert.DoesNotContain(subscriber.Accepted, r => r.Type == WebhookEventTypes.ConnectionStale);
        time.Advance(TimeSpan.FromSeconds(1));
        await app.Worker().RunOnceAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));
        await app.Worker().RunOnceAsync(CancellationToken.None);

        var received = subscriber.Accepted;
        Assert.All(received, r => Assert.Equal(r.ExpectedSignature(secret), r.Signature));
        Assert.All(received, r => Assert.DoesNotContain(bridge.Token, r.Body, StringComparison.Ordinal));
        Assert.Equal(
            [
                "user.joined " + Linus.Id, "user.deactivated " + Grace.Id, "access.privileged_granted " + Grace.Id, "access.privileged_revoked " + Ada.Id,
                "user.left " + Linus.Id, "sync.failed", "connection.token_rejected", "sync.recovered", "connection.stale",
            ],
            received.Select(r => $"{r.Type} {Subject(r.Payload.GetProperty("data"))}".TrimEnd()));
        var byType = received.ToDictionary(r => r.Type, r => r.Payload);
        Assert.Equal("Security Admins", byType["access.privileged_granted"].GetProperty("data").GetProperty("group").GetProperty("name").GetString());
        Assert.Equal("unauthorized", byType["sync.failed"].GetProperty("data").GetProperty("failure").GetString());
        Assert.Equal(failed.GetProperty("id").GetGuid(), byType["connection.token_rejected"].GetProperty("data").GetProperty("runId").GetGuid());
        Assert.Equal(1, byType["sync.recovered"].GetProperty("data").GetProperty("failedRuns").GetInt32());
        Assert.Equal(recovered.GetProperty("id").GetGuid(), byType["connection.stale"].GetProperty("data").GetProperty("runId").GetGuid());

        var documented = DocumentedPayloads();
        Assert.Equal(WebhookEventTypes.All.Order(), documented.Keys.Order());
        foreach (var (type, payload) in byType)
        {
            Assert.True(Shape(documented[type]) == Shape(payload), $"docs/webhooks.md shows {type} as {Shape(documented[type])}, but it is sent as {Shape(payload)}");
        }
    }

    private static string Subject(JsonElement data) =>
        data.TryGetProperty("user", out var user) ? user.GetProperty("id").GetString()!
        : data.TryGetProperty("member", out var member) ? member.GetProperty("id").GetString()!
        : "";

    /// <summary>The example payload of each event type in docs/webhooks.md.</summary>
    internal static Dictionary<string, JsonElement> DocumentedPayloads()
    {
        var docs = File.ReadAllText(Path.Combine(RunScript.RepositoryRoot(), "docs", "webhooks.md"));
        return JsonBlock().Matches(docs).Select(m => JsonDocument.Parse(m.Groups[1].Value).RootElement)
            .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out _) && e.TryGetProperty("data", out _))
            .ToDictionary(e => e.GetProperty("type").GetString()!, e => e);
    }

    /// <summary>A payload's property names, nested, in order: what a subscriber's parser depends on.</summary>
    private static string Shape(JsonElement element) => element.ValueKind == JsonValueKind.Object
        ? "{" + string.Join(",", element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + Shape(p.Value))) + "}"
        : "";

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
