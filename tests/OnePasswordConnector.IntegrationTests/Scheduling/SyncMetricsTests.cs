using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Sync;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;

namespace OnePasswordConnector.IntegrationTests.Scheduling;

public sealed class SyncMetricsTests
{
    [Fact]
    public async Task Syncs_are_counted_by_outcome_and_failure_reason_and_timed()
    {
        await using var app = await SchedulerApp.StartAsync();
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var measurements = new ConcurrentQueue<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's meter: other test hosts in the process publish the same names.
            if (instrument.Meter.Name == SyncMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue(Describe(instrument, tags, value)));
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => measurements.Enqueue(Describe(instrument, tags, null)));
        listener.Start();

        using var healthy = FakeBridge.Healthy();
        using var rejecting = FakeBridge.Healthy();
        await app.RegisterAsync(healthy, name: "healthy");
        await app.RegisterAsync(rejecting, name: "rejecting");
        rejecting.Server.Reset();
        rejecting.Server.Given(Request.Create().UsingAnyMethod()).RespondWith(FakeBridge.Json(401, ScimPayload.Error(401, "Invalid bearer token")));

        Assert.Equal(2, (await app.PassAsync()).Count);

        Assert.Equal(
            ["resources.read 0", "resources.read 1", "sync.duration outcome=failed", "sync.duration outcome=succeeded",
             "syncs.failed reason=unauthorized 1", "syncs.started trigger=scheduled 1", "syncs.started trigger=scheduled 1", "syncs.succeeded 1"],
            measurements.Order(StringComparer.Ordinal));
    }

    private static string Describe(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags, long? value)
    {
        var parts = new List<string> { instrument.Name };
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}={tag.Value}");
        }

        if (value is { } v)
        {
            parts.Add(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return string.Join(' ', parts);
    }
}
