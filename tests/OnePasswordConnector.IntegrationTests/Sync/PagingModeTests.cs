using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using OnePasswordConnector.DemoBridge;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

public sealed class PagingModeApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings.Where(s => s.Key != "Sync:PageSize").Append(new("Sync:PageSize", "50"));
}

/// <summary>Offset and cursor paging (RFC 9865) against the demo bridge in each mode, and reads of a slow bridge.</summary>
public sealed class PagingModeTests(PagingModeApp app) : IClassFixture<PagingModeApp>
{
    private const string Token = "demo-bridge-token-paging-modes";

    [Fact]
    public async Task Cursor_mode_and_offset_mode_store_the_same_directory()
    {
        var offsetDirectory = DemoDirectory.Generate(users: 300, groups: 20, seed: 7);
        var cursorDirectory = DemoDirectory.Generate(users: 300, groups: 20, seed: 7);
        await using var offsetBridge = await StartAsync(offsetDirectory, DemoPaging.Offset);
        await using var cursorBridge = await StartAsync(cursorDirectory, DemoPaging.Cursor);
        var offsetId = await app.RegisterAsync(offsetBridge.GetBaseAddress().AbsoluteUri.TrimEnd('/'), Token, name: "Offset bridge");
        var cursorId = await app.RegisterAsync(cursorBridge.GetBaseAddress().AbsoluteUri.TrimEnd('/'), Token, name: "Cursor bridge");

        var offsetRun = await app.SyncAsync(offsetId);
        var cursorRun = await app.SyncAsync(cursorId);

        Assert.True(offsetRun.GetProperty("status").GetString() == "succeeded", offsetRun.ToString());
        Assert.True(cursorRun.GetProperty("status").GetString() == "succeeded", cursorRun.ToString());
        Assert.Equal(0, offsetDirectory.CursorListRequests(DemoResourceType.User));
        Assert.Equal(7, cursorDirectory.CursorListRequests(DemoResourceType.User));
        Assert.Equal(cursorDirectory.ListRequests(DemoResourceType.User) - 1, cursorDirectory.CursorListRequests(DemoResourceType.User));
        var offsetStored = await StoredDirectoryAsync(offsetId);
        Assert.Equal(301, offsetStored.Users.Count);
        Assert.Equal(offsetStored.Users, (await StoredDirectoryAsync(cursorId)).Users);
        Assert.Equal(offsetStored.Groups, (await StoredDirectoryAsync(cursorId)).Groups);
        Assert.Equal(offsetStored.Memberships, (await StoredDirectoryAsync(cursorId)).Memberships);
    }

    [Fact]
    public async Task The_demo_bridge_announces_cursor_paging_only_in_cursor_mode()
    {
        await using var offsetBridge = await StartAsync(DemoDirectory.SmallTeam(), DemoPaging.Offset);
        await using var cursorBridge = await StartAsync(DemoDirectory.SmallTeam(), DemoPaging.Cursor);

        var offsetConfig = await GetAsync(offsetBridge, "scim/ServiceProviderConfig");
        var cursorConfig = await GetAsync(cursorBridge, "scim/ServiceProviderConfig");

        Assert.False(offsetConfig.TryGetProperty("pagination", out _));
        Assert.True(cursorConfig.GetProperty("pagination").GetProperty("cursor").GetBoolean());
        Assert.Equal("cursor", cursorConfig.GetProperty("pagination").GetProperty("defaultPaginationMethod").GetString());
    }

    [Fact]
    public async Task A_cursor_the_demo_bridge_did_not_hand_out_is_a_400_invalidCursor()
    {
        await using var bridge = await StartAsync(DemoDirectory.SmallTeam(), DemoPaging.Cursor);
        using var http = Client(bridge);

        var response = await http.GetAsync(new Uri("scim/Users?cursor=%25%25&count=2", UriKind.Relative));

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("invalidCursor", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_bridge_delays_every_response_by_its_latency()
    {
        await using var bridge = await StartAsync(DemoDirectory.SmallTeam(), DemoPaging.Offset, latency: TimeSpan.FromMilliseconds(300));
        using var http = Client(bridge);

        foreach (var path in new[] { "ping", "health", "scim/Users?startIndex=1&count=5", "scim/Users/NOSUCHUSER" })
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"{path} answered in {watch.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public async Task A_sync_of_a_slow_bridge_keeps_four_list_requests_in_flight_and_stores_every_user()
    {
        var directory = DemoDirectory.Generate(users: 999, groups: 10, seed: 3);
        await using var bridge = await StartAsync(directory, DemoPaging.Offset, latency: TimeSpan.FromMilliseconds(100));
        var id = await app.RegisterAsync(bridge.GetBaseAddress().AbsoluteUri.TrimEnd('/'), Token, name: "Slow bridge");

        var run = await app.SyncAsync(id);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(4, directory.MaxConcurrentListRequests(Token, DemoResourceType.User));
        // Users are listed while groups are read, and the two lists together still keep to the four.
        Assert.Equal(4, directory.MaxConcurrentListRequests(Token));
        Assert.Equal(directory.Users.Select(u => u.Id).Order(StringComparer.Ordinal), (await app.CurrentUsersAsync(id)).Select(u => u.Split('|')[0]));
    }

    private static Task<WebApplication> StartAsync(DemoDirectory directory, DemoPaging paging, TimeSpan latency = default) =>
        DemoBridgeApp.StartAsync(new DemoBridgeOptions { BearerToken = Token, MaxPageSize = 100, Paging = paging, Latency = latency }, directory);

    private static HttpClient Client(WebApplication bridge)
    {
        var http = new HttpClient { BaseAddress = bridge.GetBaseAddress() };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    private static async Task<JsonElement> GetAsync(WebApplication bridge, string path)
    {
        using var http = Client(bridge);
        return JsonDocument.Parse(await http.GetStringAsync(new Uri(path, UriKind.Relative))).RootElement.Clone();
    }

    private async Task<(List<string> Users, List<string> Groups, List<string> Memberships)> StoredDirectoryAsync(Guid connectionId) => (
        await app.QueryAsync("""
            SELECT scim_id, user_name, given_name, family_name, primary_email, active, removed_at IS NULL
              FROM directory_users WHERE connection_id = @c ORDER BY scim_id
            """, connectionId),
        await app.QueryAsync("SELECT scim_id, display_name, removed_at IS NULL FROM directory_groups WHERE connection_id = @c ORDER BY scim_id", connectionId),
        await app.CurrentMembershipsAsync(connectionId));
}
