using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Connections;

/// <summary>Text the service could not store or send on (NUL, unpaired surrogates, a token no header can carry) is refused as a 400 naming the field.</summary>
public sealed class InputValidationTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    private readonly HttpClient admin = app.ClientWithKey(ConnectorApp.AdminKey);

    [Theory]
    [InlineData("name")]
    [InlineData("scimBridgeUrl")]
    [InlineData("bearerToken")]
    public async Task Nul_in_a_registration_field_gets_400_naming_the_field_before_the_bridge_is_probed(string field)
    {
        using var bridge = FakeBridge.Healthy();
        var body = new Dictionary<string, object> { ["name"] = "Acme", ["scimBridgeUrl"] = bridge.Url, ["bearerToken"] = bridge.Token };
        body[field] = body[field] + "\0x";

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/nul/connections", body);

        var errors = await AssertFieldRefused(response, field);
        Assert.Contains("NUL", errors, StringComparison.Ordinal);
        Assert.DoesNotContain(bridge.Token, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(bridge.Server.LogEntries);
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("/api/v1/tenants/nul/connections")).GetArrayLength());
    }

    [Fact]
    public async Task Nul_in_a_new_name_or_token_gets_400_and_leaves_the_connection_as_it_was()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge, name: "Before");
        var requests = bridge.Server.LogEntries.Count;

        await AssertFieldRefused(await admin.PatchAsJsonAsync($"/api/v1/tenants/acme/connections/{id}", new { name = "x\0y" }), "name");
        await AssertFieldRefused(await admin.PutAsJsonAsync($"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = "tok\0en" }), "bearerToken");

        var connection = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}");
        Assert.Equal("Before", connection.GetProperty("name").GetString());
        Assert.Equal("…" + bridge.Token[^4..], connection.GetProperty("tokenHint").GetString());
        Assert.Equal(requests, bridge.Server.LogEntries.Count);
    }

    [Fact]
    public async Task An_unpaired_surrogate_escape_in_a_body_gets_400_naming_the_field()
    {
        using var content = new StringContent("{\"name\":\"x\\ud800y\"}", Encoding.UTF8, "application/json");
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        var errors = await AssertFieldRefused(await admin.PatchAsync($"/api/v1/tenants/acme/connections/{id}", content), "name");

        Assert.Contains("surrogate", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("users?q=%00")]
    [InlineData("users?groupId=a%00b")]
    [InlineData("users?status=%00")]
    [InlineData("users?sort=name%00")]
    [InlineData("users?asOf=2026-01-01%00")]
    [InlineData("users?cursor=%00")]
    [InlineData("users?limit=1%00")]
    [InlineData("users?removed=true%00")]
    [InlineData("groups?q=%00")]
    [InlineData("changes?kind=%00")]
    [InlineData("changes?since=%00")]
    [InlineData("access-review?format=%00")]
    [InlineData("summary?since=%00")]
    [InlineData("syncs?limit=%00")]
    public async Task Nul_in_a_query_parameter_gets_400_naming_the_parameter(string query)
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        var parameter = query[(query.IndexOf('?', StringComparison.Ordinal) + 1)..query.IndexOf('=', StringComparison.Ordinal)];

        var errors = await AssertFieldRefused(await admin.GetAsync($"/api/v1/tenants/acme/connections/{id}/{query}"), parameter);

        Assert.Contains("NUL", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nul_in_an_unknown_query_parameter_is_refused_too()
    {
        await AssertFieldRefused(await admin.GetAsync("/api/v1/tenants/acme/connections?debug=%00"), "debug");
    }

    [Theory]
    [InlineData("users", "users:userName", 2)]
    [InlineData("users?sort=name", "users:name", 2)]
    [InlineData("groups", "groups", 2)]
    [InlineData("groups/g1/members", "members", 2)]
    [InlineData("changes", "changes", 2)]
    [InlineData("access-review", "access-review", 3)]
    public async Task A_cursor_that_decodes_to_text_holding_nul_gets_400_naming_the_cursor(string list, string kind, int keys)
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        string[] decoded = [kind, .. Enumerable.Range(0, keys).Select(i => i == 0 ? "ada\0@example.org" : "U1")];
        var cursor = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(decoded));
        var separator = list.Contains('?', StringComparison.Ordinal) ? '&' : '?';

        await AssertFieldRefused(await admin.GetAsync($"/api/v1/tenants/acme/connections/{id}/{list}{separator}cursor={cursor}"), "cursor");
    }

    [Theory]
    [InlineData("tokén-1234")]
    [InlineData("tok\u201den-1234")]
    [InlineData("tok\u200ben-1234")]
    [InlineData("tok\u0007en-1234")]
    [InlineData("tok\u007fen-1234")]
    [InlineData("tok\"en-1234")]
    [InlineData("tok,en-1234")]
    [InlineData("to=ken-1234")]
    [InlineData("====")]
    public async Task A_token_no_authorization_header_can_carry_gets_400_saying_what_is_wrong_without_quoting_it(string token)
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        var requests = bridge.Server.LogEntries.Count;

        var created = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections", new { name = "Acme", scimBridgeUrl = bridge.Url, bearerToken = token });
        var rotated = await admin.PutAsJsonAsync($"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = token });

        foreach (var response in new[] { created, rotated })
        {
            var errors = await AssertFieldRefused(response, "bearerToken");
            Assert.Contains("RFC 6750", errors, StringComparison.Ordinal);
            Assert.DoesNotContain(token, errors, StringComparison.Ordinal);
            Assert.DoesNotContain("ASCII characters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Contains("non-ASCII", (await AssertFieldRefused(await admin.PutAsJsonAsync(
            $"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = "tokén-1234" }), "bearerToken")), StringComparison.Ordinal);
        Assert.Contains("position 4", (await AssertFieldRefused(await admin.PutAsJsonAsync(
            $"/api/v1/tenants/acme/connections/{id}/token", new { bearerToken = "tok\u0007en-1234" }), "bearerToken")), StringComparison.Ordinal);
        Assert.Equal(requests, bridge.Server.LogEntries.Count);
    }

    [Fact]
    public async Task A_token_of_every_character_rfc_6750_allows_is_accepted()
    {
        using var bridge = new FakeBridge("ops.Az09-._~+/token==");
        bridge.ServeServiceProviderConfig();
        bridge.ServeList("Users", []);
        bridge.RejectOtherTokens();

        var response = await admin.PostAsJsonAsync("/api/v1/tenants/acme/connections", new { name = "Acme", scimBridgeUrl = bridge.Url, bearerToken = bridge.Token });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>Asserts a 400 ValidationProblem whose errors name <paramref name="field"/>, and returns that field's messages.</summary>
    internal static async Task<string> AssertFieldRefused(HttpResponseMessage response, string field)
    {
        var problem = await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.BadRequest);
        var messages = default(JsonElement);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out messages),
            $"Expected an error for {field}: {problem}");
        return string.Join(" ", messages.EnumerateArray().Select(m => m.GetString()));
    }
}
