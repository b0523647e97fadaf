using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.TestSupport;
using Xunit.Abstractions;

namespace OnePasswordConnector.ReliabilityTests.HostileInput;

/// <summary>Hostile requests each get a 4xx problem, never a 500, and change nothing.</summary>
public sealed partial class HostileInputTests(SeededApp app, ITestOutputHelper output) : IClassFixture<SeededApp>
{
    private static readonly string[] Injections =
    [
        "' OR '1'='1",
        "'; DROP TABLE directory_users; --",
        "\") OR 1=1 --",
        "{\"$ne\":null}",
        "%00",
        "<script>alert(1)</script>",
        "../../../../etc/passwd",
        "${jndi:ldap://x}",
        new string('a', 5000),
    ];

    [Fact]
    public async Task Hostile_requests_get_a_4xx_problem_and_never_a_500()
    {
        var c = $"/api/v1/tenants/acme/connections/{app.ConnectionId}";
        var requests = new List<(string Method, string Url, string? Body, string ContentType)>
        {
            ("POST", "/api/v1/tenants/acme/connections", "{\"name\":\"" + new string('x', 200_000) + "\"}", "application/json"),
            ("POST", "/api/v1/tenants/acme/connections", "{\"name\": \"a\", ", "application/json"),
            ("POST", "/api/v1/tenants/acme/connections", "[1,2,3]", "application/json"),
            ("POST", "/api/v1/tenants/acme/connections", "{\"name\": 5, \"syncIntervalMinutes\": \"soon\"}", "application/json"),
            ("POST", "/api/v1/tenants/acme/connections", "name=x", "application/x-www-form-urlencoded"),
            ("POST", "/api/v1/tenants/acme/connections", "<xml/>", "application/xml"),
            ("PATCH", c, "{\"syncIntervalMinutes\": -5}", "application/json"),
            ("PATCH", c, "{\"syncIntervalMinutes\": 99999999999999}", "application/json"),
            ("PUT", c + "/token", "{\"bearerToken\": \"has spaces in it\"}", "application/json"),
            ("GET", c + "/syncs?limit=-1", null, ""),
            ("GET", c + "/syncs?limit=99999999999999999999", null, ""),
            ("GET", c + "/syncs/not-a-guid", null, ""),
            ("GET", "/api/v1/tenants/acme/connections/..%2F..%2Fetc%2Fpasswd", null, ""),
            ("GET", "/api/v1/tenants/acme/connections/%2e%2e/%2e%2e/", null, ""),
            ("GET", "/api/v1/tenants/unknown-tenant/connections/" + app.ConnectionId, null, ""),
            ("GET", c + "/users?limit=-5", null, ""),
            ("GET", c + "/users?limit=100000000", null, ""),
            ("GET", c + "/users?cursor=!!!not-a-cursor!!!", null, ""),
            ("GET", c + "/users?cursor=eyJ4Ijp9", null, ""),
            ("GET", c + "/users?asOf=yesterday-ish", null, ""),
            ("GET", c + "/changes?since=not-a-date", null, ""),
            ("GET", c + "/changes?kind=drop_table", null, ""),
            ("GET", c + "/groups/../../users", null, ""),
            ("POST", "/api/v1/tenants/acme/webhooks", "{\"url\": \"https://hooks.example.org/x\", \"events\": [\"drop_table\"]}", "application/json"),
            ("POST", "/api/v1/tenants/acme/webhooks", "{\"url\": \"https://hooks.example.org/x\", \"events\": \"user.left\"}", "application/json"),
            ("POST", "/api/v1/tenants/acme/webhooks", "{\"url\": 5, \"events\": [\"user.left\"]}", "application/json"),
            ("POST", "/api/v1/tenants/acme/webhooks", "{\"url\": \"file:///etc/passwd\", \"events\": [\"user.left\"]}", "application/json"),
            ("POST", "/api/v1/tenants/acme/webhooks", "{\"url\": \"gopher://hooks.example.org/x\", \"events\": [\"user.left\"]}", "application/json"),
            ("POST", "/api/v1/tenants/acme/webhooks", "{\"url\": \"https://hooks.example.org/x\", \"events\": [\"user.left\"], \"description\": \"" + new string('d', 501) + "\"}", "application/json"),
            ("POST", "/api/v1/tenants/acme/webhooks", "{\"url\": \"https://hooks.example.org/" + new string('p', 3000) + "\", \"events\": [\"user.left\"]}", "application/json"),
            ("PATCH", $"/api/v1/tenants/acme/webhooks/{app.WebhookId}", "{\"events\": []}", "application/json"),
            ("PATCH", $"/api/v1/tenants/acme/webhooks/{app.WebhookId}", "{\"enabled\": \"yes\"}", "application/json"),
            ("GET", $"/api/v1/tenants/acme/webhooks/{app.WebhookId}/deliveries?limit=0", null, ""),
            ("GET", $"/api/v1/tenants/acme/webhooks/{app.WebhookId}/deliveries?limit=abc", null, ""),
            ("GET", "/api/v1/tenants/acme/webhooks/not-a-guid", null, ""),
            ("POST", $"/api/v1/tenants/acme/webhooks/{app.WebhookId}/deliveries/not-a-guid/redeliver", null, ""),
            ("POST", $"/api/v1/tenants/acme/webhooks/{Guid.NewGuid()}/deliveries/{app.DeliveryId}/redeliver", null, ""),
            ("PUT", c + "/events-token", "{\"token\": \"has spaces in it\"}", "application/json"),
            ("PUT", c + "/events-token", "{\"token\": \"eyJabc.def\", \"region\": \"http://169.254.169.254\"}", "application/json"),
            ("PUT", c + "/events-token", "{\"token\": \"eyJabc.def\", \"region\": \"https://events.1password.com.evil.example\"}", "application/json"),
            ("PUT", c + "/events-token", "{\"token\": 42}", "application/json"),
            ("GET", c + "/users?dormantDays=0", null, ""),
            ("GET", c + "/users?dormantDays=-90", null, ""),
            ("GET", c + "/users?dormantDays=99999999999", null, ""),
            ("GET", c + "/summary?dormantDays=abc", null, ""),
            ("POST", c + "/reviews", "{\"name\": \"r\", \"asOf\": \"yesterday-ish\"}", "application/json"),
            ("POST", c + "/reviews", "{\"name\": \"" + new string('r', 201) + "\"}", "application/json"),
            ("GET", c + "/reviews?cursor=!!!not-a-cursor!!!", null, ""),
            ("GET", c + "/reviews/not-a-guid", null, ""),
            ("GET", $"{c}/reviews/{Guid.Empty}/evidence", null, ""),
            ("GET", $"{c}/reviews/{app.ReviewId}/diff?against=not-a-guid", null, ""),
            ("GET", $"{c}/reviews/{app.ReviewId}/diff?against={Guid.Empty}", null, ""),
            ("GET", "/api/v1/tenants/acme/audit-log?since=not-a-date", null, ""),
            ("GET", "/api/v1/tenants/acme/audit-log?cursor=eyJ4Ijp9", null, ""),
            ("POST", "/api/v1/evidence/verify", "PK\u0003\u0004 not really a zip", "application/zip"),
        };
        foreach (var injection in Injections)
        {
            var q = Uri.EscapeDataString(injection);
            requests.Add(("GET", $"{c}/users?q={q}", null, ""));
            requests.Add(("GET", $"{c}/users?status={q}", null, ""));
            requests.Add(("GET", $"{c}/users?groupId={q}", null, ""));
            requests.Add(("GET", $"{c}/groups?q={q}", null, ""));
            requests.Add(("GET", $"{c}/changes?kind={q}", null, ""));
            requests.Add(("GET", $"{c}/users/{q}", null, ""));
            requests.Add(("GET", $"{c}/groups/{q}/members", null, ""));
            requests.Add(("GET", $"{c}/syncs/{q}", null, ""));
            requests.Add(("GET", $"/api/v1/tenants/{q}/connections", null, ""));
            requests.Add(("GET", $"/api/v1/tenants/acme/webhooks/{q}", null, ""));
            requests.Add(("POST", "/api/v1/tenants/acme/webhooks", JsonSerializer.Serialize(new { url = injection, events = new[] { "user.left" } }), "application/json"));
            requests.Add(("POST", "/api/v1/tenants/acme/webhooks", JsonSerializer.Serialize(new { url = "https://hooks.example.org/x", events = new[] { injection } }), "application/json"));
            requests.Add(("GET", $"{c}/reviews/{app.ReviewId}/users?q={q}", null, ""));
            requests.Add(("GET", $"{c}/reviews/{app.ReviewId}/groups/{q}/members", null, ""));
            requests.Add(("GET", $"/api/v1/tenants/acme/audit-log?action={q}", null, ""));
        }

        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var failures = new List<string>();
        var served = 0;
        foreach (var (method, url, body, contentType) in requests)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            }

            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
            if (status >= 500 || (status >= 400 && !problem))
            {
                failures.Add($"{method} {url[..Math.Min(120, url.Length)]}: {status} {response.Content.Headers.ContentType}");
            }

            // Filters that match nothing may answer 200 with an empty list; anything else must be refused.
            if (status is >= 200 and < 300 && !(method == "GET" && url.Contains('?', StringComparison.Ordinal)) && !url.Contains("/tenants/", StringComparison.Ordinal))
            {
                failures.Add($"{method} {url}: accepted with {status}");
            }

            served++;
        }

        output.WriteLine($"{served} hostile requests tried");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(2, (await app.CurrentUsersAsync(app.ConnectionId)).Count);
    }

    /// <summary>
    /// NUL (U+0000) in every string field of every JSON body, in every query parameter and inside the decoded cursor of
    /// every paged list, generated from the OpenAPI document; the routing table must hold no endpoint the document lacks,
    /// so a new endpoint is covered as soon as it is mapped. Each must be a 400 naming the field, never a 500.
    /// </summary>
    [Fact]
    public async Task Nul_in_every_body_field_query_parameter_and_cursor_gets_a_400_naming_it_and_never_a_500()
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var document = await client.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Method: op.Name.ToUpperInvariant(), Route: path.Name, Operation: op.Value)))
            .Where(op => op.Route.StartsWith("/api/v1/tenants/", StringComparison.Ordinal))
            .ToList();
        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/tenants/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m, Route: SeededApp.RouteParameter().Replace(e.RoutePattern.RawText!, "{$1}").TrimEnd('/'))))
            .ToList();
        Assert.DoesNotContain(mapped, e => !documented.Any(d => d.Method == e.Method && d.Route == e.Route));

        var requests = new List<(string Method, string Url, string? Body, string Field, string Kind)>();
        foreach (var (method, route, operation) in documented)
        {
            var url = app.Fill(route);
            foreach (var parameter in operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : default)
            {
                if (parameter.GetProperty("in").GetString() != "query")
                {
                    continue;
                }

                var name = parameter.GetProperty("name").GetString()!;
                requests.Add((method, $"{url}?{name}=x%00y", null, name, "query parameter"));
                if (name == "cursor")
                {
                    var keys = JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(parameter.GetProperty("example").GetString()))!;
                    string[] poisoned = [keys[0], .. keys[1..].Select(k => k + "\0")];
                    requests.Add((method, $"{url}?cursor={Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(poisoned))}", null, name, "decoded cursor"));
                }
            }

            if (operation.TryGetProperty("requestBody", out var requestBody))
            {
                var reference = requestBody.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!;
                var properties = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.Split('/')[^1]).GetProperty("properties");
                var valid = properties.EnumerateObject().ToDictionary(p => p.Name, p => (object)(p.Value.GetProperty("type").GetString() switch
                {
                    "string" => "hostile",
                    "integer" => 60,
                    "boolean" => true,
                    "array" => new[] { "user.left" },
                    var type => throw new InvalidOperationException($"Body property {p.Name} of type {type} has no test value: add one here."),
                }));
                foreach (var field in properties.EnumerateObject().Where(p => p.Value.GetProperty("type").GetString() == "string").Select(p => p.Name))
                {
                    requests.Add((method, url, JsonSerializer.Serialize(new Dictionary<string, object>(valid) { [field] = "x\0y" }), field, "body field"));
                }
            }
        }

        var failures = new List<string>();
        foreach (var (method, url, body, field, _) in requests)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var named = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                && JsonDocument.Parse(text).RootElement.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _);
            if (response.StatusCode != HttpStatusCode.BadRequest || !named)
            {
                failures.Add($"{method} {url} {body}: {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
            }
        }

        output.WriteLine($"{requests.Count} requests with NUL generated from {documented.Count} documented operations: " +
                         string.Join(", ", requests.GroupBy(r => r.Kind).Select(g => $"{g.Count()} {g.Key}s")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(2, (await app.CurrentUsersAsync(app.ConnectionId)).Count);
        var connection = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{app.ConnectionId}");
        Assert.DoesNotContain("hostile", connection.GetProperty("name").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_gets_413()
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        using var content = new StringContent("{\"name\":\"" + new string('x', 2_000_000) + "\"}", Encoding.UTF8, "application/json");

        var response = await client.PostAsync("/api/v1/tenants/acme/connections", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
