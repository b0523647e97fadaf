using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

public sealed class AccessReviewDocsTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    [Theory]
    [InlineData("users", "status,groupId,q,removed,sort,asOf,cursor,limit")]
    [InlineData("users/{userId}", "userId")]
    [InlineData("groups", "q,asOf,cursor,limit")]
    [InlineData("groups/{groupId}/members", "groupId,asOf,cursor,limit")]
    [InlineData("changes", "since,until,kind,cursor,limit")]
    [InlineData("access-review", "format,asOf,cursor,limit,csvFormulaEscape")]
    [InlineData("summary", "since")]
    public async Task Swagger_describes_every_access_review_parameter_with_an_example(string path, string parameters)
    {
        using var client = app.ClientWithKey(null);
        var document = await client.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");

        var operation = document.GetProperty("paths").GetProperty($"/api/v1/tenants/{{tenantId}}/connections/{{connectionId}}/{path}").GetProperty("get");
        var documented = operation.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        foreach (var name in parameters.Split(','))
        {
            Assert.True(documented.TryGetValue(name, out var parameter), $"{path}: {name} is not documented");
            Assert.False(string.IsNullOrWhiteSpace(parameter.TryGetProperty("description", out var d) ? d.GetString() : null), $"{path}: {name} has no description");
            Assert.True(parameter.TryGetProperty("example", out _), $"{path}: {name} has no example");
        }
    }
}
