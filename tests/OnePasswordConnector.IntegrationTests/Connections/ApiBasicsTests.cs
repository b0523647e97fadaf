using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Connections;

public sealed class ApiBasicsTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    [Fact]
    public async Task Health_endpoints_and_swagger_answer_without_a_key()
    {
        using var anonymous = app.ClientWithKey(null);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("postgres", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/swagger/index.html")).StatusCode);
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("ApiKey", out _));
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/v1/tenants/{tenantId}/connections", out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task A_missing_or_wrong_key_gets_401_problem(string? key)
    {
        using var client = app.ClientWithKey(key);

        var response = await client.GetAsync("/api/v1/tenants/acme/connections");

        await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_tenant_key_touching_another_tenant_gets_404_and_learns_nothing()
    {
        using var bridge = FakeBridge.Healthy();
        var globexConnection = await app.RegisterAsync(bridge, ConnectorApp.Globex);
        using var acme = app.ClientWithKey(ConnectorApp.AcmeKey);

        await ConnectionRegistryTests.AssertProblem(await acme.GetAsync("/api/v1/tenants/globex/connections"), HttpStatusCode.NotFound);
        await ConnectionRegistryTests.AssertProblem(await acme.GetAsync($"/api/v1/tenants/globex/connections/{globexConnection}"), HttpStatusCode.NotFound);
        await ConnectionRegistryTests.AssertProblem(await acme.GetAsync($"/api/v1/tenants/acme/connections/{globexConnection}"), HttpStatusCode.NotFound);
        await ConnectionRegistryTests.AssertProblem(await acme.DeleteAsync($"/api/v1/tenants/acme/connections/{globexConnection}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/api/v1/tenants/acme/connections")).StatusCode);

        using var globex = app.ClientWithKey(ConnectorApp.GlobexKey);
        Assert.Equal(HttpStatusCode.OK, (await globex.GetAsync($"/api/v1/tenants/globex/connections/{globexConnection}")).StatusCode);
    }

    [Fact]
    public async Task Unknown_routes_wrong_methods_and_wrong_content_types_are_problems()
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        await ConnectionRegistryTests.AssertProblem(await client.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
        await ConnectionRegistryTests.AssertProblem(await client.PutAsync("/api/v1/tenants/acme/connections", null), HttpStatusCode.MethodNotAllowed);
        await ConnectionRegistryTests.AssertProblem(
            await client.PostAsync("/api/v1/tenants/acme/connections", new StringContent("name=x", Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType);
        var malformed = await ConnectionRegistryTests.AssertProblem(
            await client.PostAsync("/api/v1/tenants/acme/connections", new StringContent("{\"name\":", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(malformed.GetProperty("detail").GetString()));
        await ConnectionRegistryTests.AssertProblem(await client.GetAsync("/api/v1/tenants/acme/connections/not-a-guid"), HttpStatusCode.NotFound);
    }
}
