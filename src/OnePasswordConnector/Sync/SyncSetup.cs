namespace OnePasswordConnector.Sync;

internal static class SyncSetup
{
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        services.AddOptions<SyncOptions>().BindConfiguration(SyncOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IJitterSource, SharedRandomJitter>();
        services.AddSingleton<SyncScheduleCalculator>();
        services.AddSingleton<SyncRunner>();
        services.AddSingleton<SyncCoordinator>();
        services.AddHostedService(sp => sp.GetRequiredService<SyncCoordinator>());
        return services;
    }
}
