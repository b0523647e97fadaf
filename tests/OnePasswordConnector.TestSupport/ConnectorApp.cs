using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.Hosting;
using Serilog.Core;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// The real service, in process, against a PostgreSQL database of its own. Bridges are WireMock servers on
/// loopback, so the SSRF policy is relaxed for http and private addresses, as the run script does.
/// </summary>
public class ConnectorApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-9f2c4e";
    public const string AcmeKey = "test-acme-key-51ab7d";
    public const string GlobexKey = "test-globex-key-c03e88";
    public const string Acme = "acme";
    public const string Globex = "globex";

    public string ConnectionString { get; protected set; } = "";

    public LogCapture Logs { get; } = new();

    public ResponseRecorder Responses { get; } = new();

    static ConnectorApp()
    {
        SecretScan.Register(AdminKey);
        SecretScan.Register(AcmeKey);
        SecretScan.Register(GlobexKey);
    }

    /// <summary>Extra settings a test class needs, applied after the defaults.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public virtual async Task InitializeAsync() => ConnectionString = await TestDatabase.CreateAsync("it");

    protected void SetConnectionString(string connectionString) => ConnectionString = connectionString;

    protected virtual Task DropDatabaseAsync() => TestDatabase.DropAsync(ConnectionString);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (ConnectionString.Length > 0)
        {
            await DropDatabaseAsync();
        }

        var hits = SecretScan.Find(Logs.Lines, $"{GetType().Name}'s log").Concat(SecretScan.Find(Responses.Bodies, $"a response of {GetType().Name}")).ToList();
        if (Environment.GetEnvironmentVariable("ONEPASSWORDCONNECTOR_SECRET_SCAN_REPORT") is { Length: > 0 } report)
        {
            await File.AppendAllTextAsync(report, $"{GetType().Name}: {Logs.Lines.Count} log lines and {Responses.Bodies.Count} responses scanned for {SecretScan.SecretCount} secrets\n");
        }

        if (hits.Count > 0)
        {
            throw new InvalidOperationException("Secrets leaked:\n" + string.Join("\n", hits));
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["Hosting:ConsoleLogs"] = "false",
            ["BridgeUrlPolicy:AllowHttp"] = "true",
            ["BridgeUrlPolicy:AllowPrivateAddresses"] = "true",
            ["Scim:ProbeTimeoutSeconds"] = "5",
            ["ApiLimits:PermitsPerMinute"] = "1000000",
            // No surprise background syncs: only the scheduler tests turn the scheduler on.
            ["Scheduler:Enabled"] = "false",
            ["ApiKeys:0:Name"] = "platform",
            ["ApiKeys:0:Sha256"] = ApiKeyAuthentication.HashKey(AdminKey),
            ["ApiKeys:0:Tenant"] = "*",
            ["ApiKeys:0:Permissions:0"] = "reviews:delete",
            ["ApiKeys:1:Name"] = "acme-admin",
            ["ApiKeys:1:Sha256"] = ApiKeyAuthentication.HashKey(AcmeKey),
            ["ApiKeys:1:Tenant"] = Acme,
            ["ApiKeys:2:Name"] = "globex-admin",
            ["ApiKeys:2:Sha256"] = ApiKeyAuthentication.HashKey(GlobexKey),
            ["ApiKeys:2:Tenant"] = Globex,
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILogEventSink>(Logs);
            ConfigureServices(services);
        });
    }

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public HttpClient ClientWithKey(string? apiKey)
    {
        var client = CreateDefaultClient(Responses.CreateHandler());
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyAuthentication.HeaderName, apiKey);
        }

        return client;
    }

    /// <summary>Registers a connection through the API and returns its id.</summary>
    public Task<Guid> RegisterAsync(FakeBridge bridge, string tenant = Acme, string name = "Acme 1Password") =>
        RegisterAsync(bridge.Url, bridge.Token, tenant, name);

    public async Task<Guid> RegisterAsync(string bridgeUrl, string token, string tenant = Acme, string name = "Acme 1Password")
    {
        using var client = ClientWithKey(AdminKey);
        var response = await client.PostAsJsonAsync($"/api/v1/tenants/{tenant}/connections",
            new { name, scimBridgeUrl = bridgeUrl, bearerToken = token });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Registration failed: {(int)response.StatusCode} {body}");
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>Every text value in every table of the database, for "the secret is nowhere" assertions.</summary>
    public async Task<string> DumpDatabaseAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var dump = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT row_to_json(t)::text FROM \"{table}\" t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                dump.AppendLine(reader.GetString(0));
            }
        }

        return dump.ToString();
    }
}
