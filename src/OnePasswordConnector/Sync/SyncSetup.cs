using Microsoft.Extensions.DependencyInjection.Extensions;
using OnePasswordConnector.Hosting;

namespace OnePasswordConnector.Sync;

internal static class SyncSetup
{
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        services.AddOptions<SyncOptions>().BindConfiguration(SyncOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IJitterSource, SharedRandomJitter>();
        services.AddSingleton<SyncScheduleCalculator>();
        services.AddSingleton<SyncMetrics>();
        services.AddSingleton<SyncRunStore>();
        services.AddSingleton<SyncRunner>();
        services.AddSingleton<SyncLeases>();
        services.AddSingleton<SyncCoordinator>();
        services.AddSingleton<Connections.IConnectionSyncs, ConnectionSyncs>();
        services.AddHostedService(sp => sp.GetRequiredService<SyncCoordinator>());
        return services;
    }

    /// <summary>
    /// The scheduler on this replica. Registered after the coordinator, so on shutdown it stops claiming before the
    /// coordinator cancels the running syncs (hosted services stop in reverse order).
    /// </summary>
    public static IServiceCollection AddScheduler(this IServiceCollection services)
    {
        services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SyncScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<SyncScheduler>());
        return services;
    }
}
