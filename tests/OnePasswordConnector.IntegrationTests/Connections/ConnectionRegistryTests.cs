using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.IntegrationTests.Connections;

public sealed class ConnectionRegistryTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    private readonly HttpClient admin = app.ClientWithKey(ConnectorApp.AdminKey);

    [Fact]
    public async Task Registering_a_bridge_that_answers_like_SCIM_returns_201_with_the_connection_and_a_location()
    {
        using var bridge = FakeBridge.Healthy();

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Acme prod", scimBridgeUrl = bridge.Url + "/", bearerToken = bridge.Token, syncIntervalMinutes = 60 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<ConnectionResponse>(ApiJson.Options))!;
        var id = body.Id;
        Assert.Equal($"/api/v1/tenants/acme/connections/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("Acme prod", body.Name);
        Assert.Equal(bridge.Url + "/scim", body.ScimBridgeUrl);
        Assert.Equal("…" + bridge.Token[^4..], body.TokenHint);
        Assert.Equal(60, body.SyncIntervalMinutes);
        Assert.Equal(ConnectionStatus.Pending, body.Status);
        Assert.Equal("2.9.16", body.BridgeVersion);
        Assert.True(body.Enabled);

        var fetched = await admin.GetFromJsonAsync<ConnectionResponse>($"/api/v1/tenants/acme/connections/{id}", ApiJson.Options);
        Assert.Equal(id, fetched!.Id);
        var list = await admin.GetFromJsonAsync<ConnectionResponse[]>("/api/v1/tenants/acme/connections", ApiJson.Options);
        Assert.Contains(list!, c => c.Id == id);
    }

    [Fact]
    public async Task A_url_with_a_path_is_used_as_the_scim_base_as_given()
    {
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig("/scim/v2");
        bridge.ServeList("Users", [ScimPayload.User("AAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org", "Ada", "Lovelace")], "/scim/v2");
        bridge.RejectOtherTokens();

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Hosted", scimBridgeUrl = bridge.Url + "/scim/v2/", bearerToken = bridge.Token });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(bridge.Url + "/scim/v2", body.GetProperty("scimBridgeUrl").GetString());
    }

    [Fact]
    public async Task Discovery_falls_back_to_the_root_when_the_bridge_has_no_scim_prefix()
    {
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig("");
        bridge.ServeList("Users", [], "");
        bridge.RejectOtherTokens();

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Root", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(bridge.Url, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("scimBridgeUrl").GetString());
    }

    [Fact]
    public async Task A_bridge_that_rejects_the_token_gives_422_saying_the_token_was_rejected_and_stores_nothing()
    {
        using var bridge = FakeBridge.Healthy();

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/reject/connections",
            new { name = "Bad token", scimBridgeUrl = bridge.Url, bearerToken = "wrong-token-0000" });

        var problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("rejected the bearer token", problem.GetProperty("detail").GetString());
        Assert.Equal("unauthorized", problem.GetProperty("failure").GetString());
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/tenants/reject/connections");
        Assert.Equal(0, list.GetArrayLength());
    }

    [Fact]
    public async Task An_unreachable_bridge_gives_422_saying_it_could_not_connect()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Nobody home", scimBridgeUrl = $"http://127.0.0.1:{port}", bearerToken = "some-token-1234" });

        var problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("unreachable", problem.GetProperty("failure").GetString());
        Assert.Contains("Could not connect", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_bridge_host_that_does_not_resolve_gives_422_saying_dns_failed()
    {
        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Typo", scimBridgeUrl = "https://op-scim.does-not-exist.invalid", bearerToken = "some-token-1234" });

        var problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("unreachable", problem.GetProperty("failure").GetString());
        Assert.Contains("could not be resolved", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_proxy_answering_an_html_page_gives_422_saying_it_is_not_scim()
    {
        using var bridge = new FakeBridge();
        bridge.Server.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200)
            .WithHeader("Content-Type", "text/html").WithBody("<html><body>Please sign in</body></html>"));

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Login page", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });

        var problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("not_scim", problem.GetProperty("failure").GetString());
        Assert.Contains("HTML page", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_bridge_that_stalls_gives_422_timeout()
    {
        using var bridge = new FakeBridge();
        bridge.Server.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200)
            .WithDelay(TimeSpan.FromSeconds(20)).WithBody("{}"));

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Slow", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });

        var problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("timeout", problem.GetProperty("failure").GetString());
    }

    [Fact]
    public async Task A_bridge_in_google_workspace_mode_gives_422_that_explains_the_second_bridge()
    {
        using var bridge = new FakeBridge();
        bridge.Server.Given(Request.Create().WithPath("/ping").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("pong"));
        bridge.Server.Given(Request.Create().UsingGet()).AtPriority(90).RespondWith(Response.Create().WithStatusCode(404));

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Workspace", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });

        var problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("google_workspace_mode", problem.GetProperty("failure").GetString());
        Assert.Contains("Google Workspace", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_redirect_is_not_followed()
    {
        using var bridge = new FakeBridge();
        bridge.Server.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(302)
            .WithHeader("Location", "http://169.254.169.254/latest/meta-data/"));

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Redirect", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });

        var problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("redirect", problem.GetProperty("detail").GetString());
        Assert.Equal(0, bridge.Server.LogEntries.Count(e => e.RequestMessage.Path.Contains("meta-data", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://op-scim.example.org")]
    [InlineData("https://user:pass@op-scim.example.org")]
    [InlineData("https://op-scim.example.org/?token=x")]
    public async Task An_invalid_url_gives_400_with_a_field_error(string url)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Invalid", scimBridgeUrl = url, bearerToken = "token-1234" });

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("scimBridgeUrl", out _));
    }

    [Fact]
    public async Task Missing_fields_give_400_with_an_error_per_field()
    {
        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections", new { syncIntervalMinutes = 5 });

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("scimBridgeUrl", out _));
        Assert.True(errors.TryGetProperty("bearerToken", out _));
        Assert.True(errors.TryGetProperty("syncIntervalMinutes", out _));
    }

    [Fact]
    public async Task Patch_renames_reschedules_and_disables()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        var response = await admin.PatchAsJsonAsync($"/api/v1/tenants/acme/connections/{id}",
            new { name = "Renamed", syncIntervalMinutes = 120, enabled = false });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Renamed", body.GetProperty("name").GetString());
        Assert.Equal(120, body.GetProperty("syncIntervalMinutes").GetInt32());
        Assert.False(body.GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("nextSyncAt").ValueKind);

        var invalid = await admin.PatchAsJsonAsync($"/api/v1/tenants/acme/connections/{id}", new { syncIntervalMinutes = 1 });
        await AssertProblem(invalid, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Rotating_the_token_probes_the_bridge_with_the_new_token_first()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        var rejected = await admin.PutAsJsonAsync($"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = "not-the-bridge-token" });
        var problem = await AssertProblem(rejected, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("unauthorized", problem.GetProperty("failure").GetString());
        var unchanged = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}");
        Assert.Equal("…" + bridge.Token[^4..], unchanged.GetProperty("tokenHint").GetString());

        var accepted = await admin.PutAsJsonAsync($"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = bridge.Token });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Test_probes_the_bridge_now_and_reports_latency_and_version()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        var response = await admin.PostAsync($"/api/v1/tenants/acme/connections/{id}/test", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<ConnectionTestResponse>(ApiJson.Options))!;
        Assert.True(body.Succeeded);
        Assert.Equal("2.9.16", body.BridgeVersion);
        Assert.Equal(1, body.TotalUsers);
        Assert.True(body.LatencyMs >= 0);
    }

    [Fact]
    public async Task Test_against_a_bridge_that_now_rejects_the_token_marks_the_connection_unauthorized()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        bridge.Server.Given(Request.Create().UsingAnyMethod()).AtPriority(1).RespondWith(FakeBridge.Json(401, ScimPayload.Error(401, "revoked")));

        var body = await (await admin.PostAsync($"/api/v1/tenants/acme/connections/{id}/test", null)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.False(body.GetProperty("succeeded").GetBoolean());
        Assert.Equal("unauthorized", body.GetProperty("failure").GetString());
        var connection = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}");
        Assert.Equal("unauthorized", connection.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Delete_removes_the_connection()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/tenants/acme/connections/{id}")).StatusCode);
        await AssertProblem(await admin.GetAsync($"/api/v1/tenants/acme/connections/{id}"), HttpStatusCode.NotFound);
        await AssertProblem(await admin.DeleteAsync($"/api/v1/tenants/acme/connections/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_token_is_in_no_response_no_database_column_and_no_log_line()
    {
        using var bridge = FakeBridge.Healthy();
        var responses = new List<string>();
        var created = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections",
            new { name = "Secret check", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });
        responses.Add(await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        responses.Add(await admin.GetStringAsync($"/api/v1/tenants/acme/connections/{id}"));
        responses.Add(await admin.GetStringAsync("/api/v1/tenants/acme/connections"));
        responses.Add(await (await admin.PostAsync($"/api/v1/tenants/acme/connections/{id}/test", null)).Content.ReadAsStringAsync());
        responses.Add(await (await admin.PutAsJsonAsync($"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = bridge.Token })).Content.ReadAsStringAsync());
        responses.Add(await (await admin.PutAsJsonAsync($"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = bridge.Token + "x" })).Content.ReadAsStringAsync());

        Assert.All(responses, body => Assert.DoesNotContain(bridge.Token, body, StringComparison.Ordinal));
        var dump = await app.DumpDatabaseAsync();
        Assert.Contains(id.ToString(), dump, StringComparison.Ordinal);
        Assert.DoesNotContain(bridge.Token, dump, StringComparison.Ordinal);
        Assert.True(app.Logs.Contains("Probe of"), "the probe logged: " + string.Join(" || ", app.Logs.Lines));
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(bridge.Token, StringComparison.Ordinal));
    }

    internal static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("traceId", out _), "ProblemDetails carries a traceId");
        return problem;
    }
}
