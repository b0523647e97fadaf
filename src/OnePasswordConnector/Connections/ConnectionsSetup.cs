using Microsoft.AspNetCore.DataProtection;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Connections;

internal static class ConnectionsSetup
{
    public static IServiceCollection AddConnectionRegistry(this IServiceCollection services)
    {
        services.AddDataProtection()
            .SetApplicationName("OnePasswordConnector")
            .PersistKeysToDbContext<ConnectorDbContext>();
        services.AddSingleton<TokenProtector>();
        services.AddSingleton<BridgeProbe>();
        services.AddScoped<RouteConnection>();
        return services;
    }
}
