using System.Net;
using System.Text;
using OnePasswordConnector.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace OnePasswordConnector.ReliabilityTests.HostileInput;

/// <summary>Hostile requests each get a 4xx problem, never a 500, and change nothing.</summary>
public sealed class HostileInputTests(SeededApp app, ITestOutputHelper output) : IClassFixture<SeededApp>
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
