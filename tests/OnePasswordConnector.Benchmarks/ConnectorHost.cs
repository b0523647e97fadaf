using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OnePasswordConnector.Hosting;

namespace OnePasswordConnector.Benchmarks;

/// <summary>The real service in process, on its own database, with the scheduler off so only measured syncs run.</summary>
internal sealed class ConnectorHost(string connectionString, int pageSize) : WebApplicationFactory<Program>
{
    public const string ApiKey = "benchmark-api-key";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Benchmark");
        builder.UseContentRoot(AppContext.BaseDirectory);
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["Hosting:ConsoleLogs"] = Environment.GetEnvironmentVariable("BENCH_LOGS") == "1" ? "true" : "false",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Scheduler:Enabled"] = "false",
            ["BridgeUrlPolicy:AllowHttp"] = "true",
            ["BridgeUrlPolicy:AllowPrivateAddresses"] = "true",
            ["Sync:PageSize"] = pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ApiKeys:0:Name"] = "benchmark",
            ["ApiKeys:0:Sha256"] = ApiKeyAuthentication.HashKey(ApiKey),
            ["ApiKeys:0:Tenant"] = "*",
        })
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient Api()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(ApiKeyAuthentication.HeaderName, ApiKey);
        client.Timeout = TimeSpan.FromMinutes(10);
        return client;
    }

    public async Task<Guid> RegisterAsync(Uri bridge, string token)
    {
        using var api = Api();
        var response = await api.PostAsJsonAsync("/api/v1/tenants/bench/connections",
            new { name = "Benchmark", scimBridgeUrl = bridge.AbsoluteUri.TrimEnd('/'), bearerToken = token });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Registration failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
