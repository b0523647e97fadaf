using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Sync;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.SignIns;

/// <summary>The service with WireMock Events APIs on loopback allowed, pages of 100 users and Retry-After cut to a second.</summary>
public class SignInApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings.Where(s => s.Key != "Sync:PageSize").Concat(
        [
            new("Sync:PageSize", "100"),
            new("Events:AdditionalHosts:0", "localhost"),
            new("Events:AdditionalHosts:1", "127.0.0.1"),
            new("Scim:MaxRetryAfterSeconds", "1"),
            .. ExtraSettings,
        ]);

    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    public static string EventsTokenPath(Guid connectionId) => $"/api/v1/tenants/{Acme}/connections/{connectionId}/events-token";

    public async Task<HttpResponseMessage> PutEventsTokenAsync(Guid connectionId, string token, string? region)
    {
        using var client = ClientWithKey(AdminKey);
        return await client.PutAsJsonAsync(EventsTokenPath(connectionId), new { token, region });
    }

    /// <summary>Stores the fake's token on the connection, asserting that the Events API check passed.</summary>
    public async Task UseEventsAsync(Guid connectionId, FakeEventsApi api)
    {
        using var response = await PutEventsTokenAsync(connectionId, api.Token, api.Url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"The events token was refused: {(int)response.StatusCode} {body}");
    }

    /// <summary>
    /// A sync and the sign-in collection that follows it. The run reads succeeded as soon as its merge commits; the
    /// collection's warnings join it when the collection ends, which is when the sync's background task ends.
    /// </summary>
    public async Task<JsonElement> SyncAndCollectAsync(Guid connectionId)
    {
        var run = await SyncAsync(connectionId);
        await Services.GetRequiredService<SyncCoordinator>().WhenIdleAsync();
        return await GetJsonAsync($"/api/v1/tenants/{Acme}/connections/{connectionId}/syncs/{run.GetProperty("id").GetGuid()}");
    }

    public async Task<JsonElement> GetJsonAsync(string url)
    {
        using var client = ClientWithKey(AdminKey);
        return await client.GetFromJsonAsync<JsonElement>(url);
    }

    /// <summary>The run's warnings as "kind:value".</summary>
    public static List<string> Warnings(JsonElement run) =>
        run.GetProperty("warnings").EnumerateArray().Select(w => $"{w.GetProperty("kind").GetString()}:{w.GetProperty("value").GetString()}").ToList();
}
