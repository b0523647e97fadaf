using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;
using Xunit.Abstractions;

namespace OnePasswordConnector.ReliabilityTests.Database;

/// <summary>The service against a database it can lose: its own PostgreSQL server, which the test stops and starts.</summary>
public sealed class RestartableDatabaseApp : SyncApp
{
    public OwnPostgres Database { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [.. base.Settings, new("Sync:HeartbeatSeconds", "1")];

    public override async Task InitializeAsync()
    {
        Database = await OwnPostgres.StartAsync();
        SetConnectionString(await Database.CreateDatabaseAsync("restart_test"));
    }

    protected override async Task DropDatabaseAsync() => await Database.DisposeAsync();
}

public sealed class DatabaseRestartTests(RestartableDatabaseApp app, ITestOutputHelper output) : IClassFixture<RestartableDatabaseApp>
{
    private static readonly JsonObject[] Team =
    [
        ScimPayload.User("U0000000000000000000000001", "ada@example.org", "Ada", "Lovelace"),
        ScimPayload.User("U0000000000000000000000002", "grace@example.org", "Grace", "Hopper"),
        ScimPayload.User("U0000000000000000000000003", "linus@example.org", "Linus", "Torvalds"),
    ];

    [Fact]
    public async Task PostgreSQL_restarting_mid_sync_fails_the_run_cleanly_answers_503_meanwhile_and_the_next_sync_succeeds()
    {
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        bridge.ServePaged("Users", Team, SyncApp.PageSize);
        bridge.RejectOtherTokens();
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());

        // Grace leaves, but the sync that would record it is slow on its last page, and the database dies under it.
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        bridge.ServePage("Users", 1, ScimPayload.ListResponse([Team[0], Team[2]], 2, 1));
        bridge.Server.Given(Request.Create().WithPath("/scim/Users").WithParam("startIndex", "1").UsingGet()).AtPriority(1)
            .RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse([Team[0], Team[2]], 2, 1)).WithDelay(TimeSpan.FromMilliseconds(1500)));
        bridge.RejectOtherTokens();
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var started = await client.PostAsync($"/api/v1/tenants/acme/connections/{id}/syncs", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var runUrl = started.Headers.Location!.OriginalString;
        await app.Database.StopAsync();

        var watch = Stopwatch.StartNew();
        var down = await client.GetAsync("/api/v1/tenants/acme/connections");
        output.WriteLine($"API answered {(int)down.StatusCode} in {watch.ElapsedMilliseconds} ms with the database down");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "503 comes in seconds, not after a hang");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(3));
        await app.Database.StartAgainAsync();

        var run = await WaitForEnd(client, runUrl);
        output.WriteLine($"The interrupted run ended {run.GetProperty("status").GetString()}: {run.GetProperty("error").GetString()}");
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("database", run.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, (await app.CurrentUsersAsync(id)).Count);
        Assert.Empty(await app.ChangeEventsAsync(id));

        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        bridge.ServePaged("Users", [Team[0], Team[2]], SyncApp.PageSize);
        bridge.RejectOtherTokens();
        var next = await app.SyncAsync(id);
        Assert.True(next.GetProperty("status").GetString() == "succeeded", next.ToString());
        Assert.Equal(["user_removed:U0000000000000000000000002"], await app.ChangeEventsAsync(id));
    }

    private static async Task<JsonElement> WaitForEnd(HttpClient client, string runUrl)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var response = await client.GetAsync(runUrl);
            if (response.IsSuccessStatusCode)
            {
                var run = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (run.GetProperty("status").GetString() != "running")
                {
                    return run;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "The interrupted run never ended");
            await Task.Delay(200);
        }
    }
}
