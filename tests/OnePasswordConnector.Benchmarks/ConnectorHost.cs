using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Benchmarks;

/// <summary>The real service in process, on its own database, with the scheduler off so only measured syncs run.</summary>
internal sealed class ConnectorHost(string connectionString, int pageSize, int maxConcurrentRequests = 4, BridgeRequestCounter? counter = null)
    : WebApplicationFactory<Program>
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
            ["Sync:MaxConcurrentRequests"] = maxConcurrentRequests.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // 1,000,000 users at 100 a page are 10,001 pages, one more than the default guard against endless paging.
            ["Sync:MaxPages"] = "100000",
            ["ApiKeys:0:Name"] = "benchmark",
            ["ApiKeys:0:Sha256"] = ApiKeyAuthentication.HashKey(ApiKey),
            ["ApiKeys:0:Tenant"] = "*",
        })
        {
            builder.UseSetting(key, value);
        }

        if (counter is not null)
        {
            builder.ConfigureTestServices(services =>
                services.AddHttpClient(ScimSetup.SyncClient).AddHttpMessageHandler(() => new CountingHandler(counter)));
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

/// <summary>Requests a sync sent to its bridge, retries included.</summary>
internal sealed class BridgeRequestCounter
{
    private long count;

    public long Count => Interlocked.Read(ref count);

    public void Reset() => Interlocked.Exchange(ref count, 0);

    public void Add() => Interlocked.Increment(ref count);
}

internal sealed class CountingHandler(BridgeRequestCounter counter) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        counter.Add();
        return base.SendAsync(request, cancellationToken);
    }
}
