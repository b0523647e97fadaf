using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace OnePasswordConnector.BrowserTests.Infrastructure;

/// <summary>
/// The real service on a real loopback TCP port (Kestrel, not the in-memory test server), so a browser can load
/// its Swagger UI. It has a PostgreSQL database of its own; bridges are WireMock servers on loopback.
/// </summary>
public sealed class SwaggerApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "browser-admin-key-7d41a0";

    private string connectionString = "";

    /// <summary>The service's base address, e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        connectionString = await TestDatabase.CreateAsync("browser");
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.Single());
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (connectionString.Length > 0)
        {
            await TestDatabase.DropAsync(connectionString);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Postgres", connectionString);
        builder.UseSetting("Hosting:ConsoleLogs", "false");
        builder.UseSetting("BridgeUrlPolicy:AllowHttp", "true");
        builder.UseSetting("BridgeUrlPolicy:AllowPrivateAddresses", "true");
        builder.UseSetting("Scim:ProbeTimeoutSeconds", "5");
        // Only the SHA-256 of a key is configured, as in production.
        builder.UseSetting("ApiKeys:0:Name", "platform");
        builder.UseSetting("ApiKeys:0:Sha256", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey))));
        builder.UseSetting("ApiKeys:0:Tenant", "*");
    }
}
