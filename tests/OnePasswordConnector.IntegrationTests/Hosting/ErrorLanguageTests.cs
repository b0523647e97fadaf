using System.Net;
using System.Text;
using OnePasswordConnector.IntegrationTests.Connections;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Hosting;

/// <summary>Malformed requests are answered in the API's words, with a title that matches the status; the framework's words go to the log.</summary>
public sealed class ErrorLanguageTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    private const string Connections = "/api/v1/tenants/acme/connections";
    private const string Fields = "name, scimBridgeUrl, bearerToken, syncIntervalMinutes";

    private static readonly string[] FrameworkWords =
        ["Did you mean", "Failed to bind", "Failed to read", "Implicit body", "Nullable", "System.", "Microsoft.", "CreateConnectionRequest", "Path:"];

    private readonly HttpClient admin = app.ClientWithKey(ConnectorApp.AdminKey);

    [Theory]
    [InlineData("users?limit=abc", "limit", "must be a whole number")]
    [InlineData("syncs?limit=abc", "limit", "must be a whole number")]
    [InlineData("users?limit=99999999999999999999", "limit", "out of range")]
    [InlineData("groups?limit=1.5", "limit", "must be a whole number")]
    [InlineData("users?removed=maybe", "removed", "must be true or false")]
    [InlineData("users?limit=1&limit=2", "limit", "once")]
    [InlineData("syncs?limit=", "limit", "must be a whole number")]
    public async Task A_query_value_of_the_wrong_type_gets_400_naming_the_parameter_in_the_apis_words(string query, string parameter, string expected)
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        var response = await admin.GetAsync($"{Connections}/{id}/{query}");

        Assert.Contains(expected, await InputValidationTests.AssertFieldRefused(response, parameter), StringComparison.Ordinal);
        await AssertNoFrameworkWords(response);
    }

    [Theory]
    [InlineData("POST", "", null, "This request needs a body. Send the body as a JSON object, with the header Content-Type: application/json. Its fields: " + Fields + ".")]
    [InlineData("POST", "", "null", "This request needs a body.")]
    [InlineData("POST", "", "{\"name\":", "The body is not valid JSON (line 1, byte 9).")]
    [InlineData("POST", "", "{\"name\": \"a\" \"scimBridgeUrl\": \"b\"}", "The body is not valid JSON (line 1, byte 14).")]
    [InlineData("POST", "", "[1, 2, 3]", "The body must be a JSON object. Its fields: " + Fields + ".")]
    [InlineData("PATCH", "/{id}", null, "This request needs a body. Send the body as a JSON object, with the header Content-Type: application/json. Its fields: name, syncIntervalMinutes, enabled.")]
    [InlineData("PUT", "/{id}/token", "", "This request needs a body. Send the body as a JSON object, with the header Content-Type: application/json. Its fields: bearerToken.")]
    public async Task A_missing_or_malformed_body_gets_400_saying_what_to_send(string method, string path, string? body, string detail)
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        using var request = new HttpRequestMessage(new HttpMethod(method), Connections + path.Replace("{id}", id.ToString(), StringComparison.Ordinal));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await admin.SendAsync(request);

        var problem = await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.BadRequest);
        Assert.Equal("Bad request", problem.GetProperty("title").GetString());
        Assert.StartsWith(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertNoFrameworkWords(response);
    }

    [Theory]
    [InlineData("{\"syncIntervalMinutes\": \"soon\"}", "syncIntervalMinutes", "The syncIntervalMinutes field must be a whole number no larger than 2147483647.")]
    [InlineData("{\"syncIntervalMinutes\": 99999999999999}", "syncIntervalMinutes", "The syncIntervalMinutes field must be a whole number no larger than 2147483647.")]
    [InlineData("{\"name\": 5}", "name", "The name field must be a string in double quotes.")]
    [InlineData("{\"name\": [\"a\"]}", "name", "The name field must be a string in double quotes.")]
    public async Task A_field_of_the_wrong_type_gets_400_naming_the_field_and_its_type(string body, string field, string message)
    {
        var response = await admin.PostAsync(Connections, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(message, await InputValidationTests.AssertFieldRefused(response, field));
        await AssertNoFrameworkWords(response);
    }

    [Fact]
    public async Task A_patch_with_enabled_that_is_not_a_boolean_gets_400_saying_true_or_false()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);

        var response = await admin.PatchAsync($"{Connections}/{id}", new StringContent("{\"enabled\": \"yes\"}", Encoding.UTF8, "application/json"));

        Assert.Equal("The enabled field must be true or false.", await InputValidationTests.AssertFieldRefused(response, "enabled"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task A_body_that_is_not_json_gets_415_titled_unsupported_media_type(string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("name=x"));
        if (contentType is not null)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        var response = await admin.PostAsync(Connections, content);

        var problem = await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("Unsupported media type", problem.GetProperty("title").GetString());
        Assert.Equal("Send the body as a JSON object, with the header Content-Type: application/json.", problem.GetProperty("detail").GetString());
        await AssertNoFrameworkWords(response);
    }

    [Fact]
    public async Task A_path_that_matches_no_route_or_method_gets_a_problem_saying_where_to_look()
    {
        var notFound = await ConnectionRegistryTests.AssertProblem(await admin.GetAsync($"{Connections}/not-a-guid"), HttpStatusCode.NotFound);
        var wrongMethod = await ConnectionRegistryTests.AssertProblem(await admin.PutAsync(Connections, null), HttpStatusCode.MethodNotAllowed);

        Assert.Equal("Not found", notFound.GetProperty("title").GetString());
        Assert.Contains("connection and sync run ids are GUIDs", notFound.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("Method not allowed", wrongMethod.GetProperty("title").GetString());
        Assert.Equal("This path does not take PUT. The API reference at /swagger lists the methods of each path.", wrongMethod.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_frameworks_own_words_go_to_the_log_with_the_trace_id()
    {
        var response = await admin.PostAsync(Connections, new StringContent("{\"name\":", Encoding.UTF8, "application/json"));

        var traceId = (await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.BadRequest)).GetProperty("traceId").GetString()!;
        Assert.Contains(app.Logs.Lines, line => line.Contains(traceId, StringComparison.Ordinal) && line.Contains("LineNumber: 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_path_and_query_over_8192_characters_gets_a_414_problem()
    {
        var response = await admin.GetAsync($"{Connections}?q={new string('a', 8200)}");

        var problem = await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.RequestUriTooLong);
        Assert.Equal("URI too long", problem.GetProperty("title").GetString());
    }

    internal static async Task AssertNoFrameworkWords(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        foreach (var words in FrameworkWords)
        {
            Assert.False(body.Contains(words, StringComparison.Ordinal), $"The answer speaks the framework's language ({words}): {body}");
        }
    }
}
