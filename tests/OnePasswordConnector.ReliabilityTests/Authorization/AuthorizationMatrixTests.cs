using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.TestSupport;
using Xunit.Abstractions;

namespace OnePasswordConnector.ReliabilityTests.Authorization;

/// <summary>
/// Every tenant endpoint the service maps, read from its routing table (a new endpoint cannot be left out), called
/// with no key, a wrong key, another tenant's key, the tenant's own key and the platform's key. An endpoint that
/// requires a permission (DELETE of a review: reviews:delete, which only the platform's key holds in these tests) must
/// refuse the tenant's own key with 403.
/// </summary>
public sealed partial class AuthorizationMatrixTests(SeededApp app, ITestOutputHelper output) : IClassFixture<SeededApp>
{
    private enum Caller
    {
        NoKey,
        WrongKey,
        OtherTenantKey,
        OwnKey,
        AdminKey,
    }

    [Fact]
    public async Task Every_endpoint_admits_only_the_platform_and_the_tenants_own_key()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/tenants/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m, Route: e.RoutePattern.RawText!, Permission: e.Metadata.GetMetadata<RequiredPermission>()?.Permission)))
            .OrderBy(e => e.Method == "DELETE") // deleting goes last: the other calls need the connection
            .ThenByDescending(e => e.Method == "DELETE" ? e.Route.Length : 0) // a review before its connection
            .ThenBy(e => e.Route, StringComparer.Ordinal)
            .ToList();
        Assert.True(endpoints.Count >= 10, $"Only {endpoints.Count} tenant endpoints were found in the routing table");

        var cells = 0;
        var failures = new List<string>();
        foreach (var (method, route, permission) in endpoints)
        {
            var url = app.Fill(route);
            foreach (var caller in Enum.GetValues<Caller>())
            {
                using var client = app.ClientWithKey(caller switch
                {
                    Caller.NoKey => null,
                    Caller.WrongKey => "not-a-configured-key-123",
                    Caller.OtherTenantKey => ConnectorApp.GlobexKey,
                    Caller.AdminKey => ConnectorApp.AdminKey,
                    _ => ConnectorApp.AcmeKey,
                });
                using var request = new HttpRequestMessage(new HttpMethod(method), url);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                var tenantHidden = status == 404 && body.Contains("No such tenant.", StringComparison.Ordinal);
                var ok = caller switch
                {
                    Caller.NoKey or Caller.WrongKey => status == 401,
                    Caller.OtherTenantKey => tenantHidden,
                    Caller.OwnKey when permission is not null => status == 403 && body.Contains(permission, StringComparison.Ordinal),
                    _ => status is not (401 or 403) && !tenantHidden && status < 500,
                };
                cells++;
                if (!ok)
                {
                    failures.Add($"{method} {route} as {caller}: {status} {body[..Math.Min(200, body.Length)]}");
                }
            }
        }

        output.WriteLine($"{endpoints.Count} endpoints × 5 callers = {cells} authorization cells checked");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

}
