namespace OnePasswordConnector.Connections;

internal static class ConnectionsSetup
{
    public static IServiceCollection AddConnectionRegistry(this IServiceCollection services)
    {
        services.AddSingleton<TokenProtector>();
        services.AddSingleton<BridgeProbe>();
        services.AddScoped<RouteConnection>();
        return services;
    }
}
