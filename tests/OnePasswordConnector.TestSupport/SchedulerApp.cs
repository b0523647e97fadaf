using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// The service with a <see cref="FakeTimeProvider"/> for every clock and a fixed jitter. Tests drive scheduler passes
/// themselves (<see cref="PassAsync"/>); the polling loop stays off unless a test passes <c>Scheduler:Enabled=true</c>, so
/// moving the clock never starts a pass behind a test's back. Each test starts its own host (one database each), or several
/// over one database to play several replicas.
/// </summary>
public sealed class SchedulerApp : SyncApp
{
    public static readonly DateTimeOffset Epoch = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);

    private readonly string? sharedDatabase;
    private readonly KeyValuePair<string, string?>[] extra;

    private SchedulerApp(FakeTimeProvider time, string? sharedDatabase, KeyValuePair<string, string?>[] extra)
    {
        Time = time;
        this.sharedDatabase = sharedDatabase;
        this.extra = extra;
    }

    public FakeTimeProvider Time { get; }

    internal FixedJitter Jitter { get; } = new();

    internal SyncScheduler Scheduler => Services.GetRequiredService<SyncScheduler>();

    internal SyncCoordinator Coordinator => Services.GetRequiredService<SyncCoordinator>();

    public string Owner => Coordinator.Owner;

    /// <summary>Starts a host; with <paramref name="sharedDatabase"/> it joins another host's database as a second replica.</summary>
    public static async Task<SchedulerApp> StartAsync(
        FakeTimeProvider? time = null, string? sharedDatabase = null, params KeyValuePair<string, string?>[] settings)
    {
        var app = new SchedulerApp(time ?? new FakeTimeProvider(Epoch), sharedDatabase, settings);
        await app.InitializeAsync();
        _ = app.Services;
        return app;
    }

    public override async Task InitializeAsync()
    {
        if (sharedDatabase is null)
        {
            await base.InitializeAsync();
        }
        else
        {
            ConnectionString = sharedDatabase;
        }
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings.Concat([new("Scheduler:PollSeconds", "15"), new("Sync:LeaseSeconds", "60")]).Concat(extra);

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IJitterSource>(Jitter);
    }

    /// <summary>One scheduler pass, then waits for every sync it (or anything else on this host) started.</summary>
    internal async Task<IReadOnlyList<Guid>> PassAsync()
    {
        var started = await Scheduler.RunOnceAsync(CancellationToken.None);
        await Coordinator.WhenIdleAsync();
        return started;
    }

    /// <summary>Stops the host gracefully; drops the database only if this host created it.</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (sharedDatabase is null && ConnectionString.Length > 0)
        {
            await TestDatabase.DropAsync(ConnectionString);
            ConnectionString = "";
        }
    }
}

internal sealed class FixedJitter : IJitterSource
{
    public double Value { get; set; } = 0.5;

    public double Next() => Value;
}
