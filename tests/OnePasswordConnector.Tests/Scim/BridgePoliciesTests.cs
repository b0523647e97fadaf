using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class BridgePoliciesTests : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly FixedJitter jitter = new();
    private readonly ScimOptions options = new() { Retries = 2, RetryBaseDelayMilliseconds = 0, CircuitBreakerFailures = 3, CircuitBreakSeconds = 30 };

    [Theory]
    [InlineData(1, 0.0, 500)]
    [InlineData(1, 0.5, 750)]
    [InlineData(2, 0.0, 1000)]
    [InlineData(3, 0.999, 3998)]
    public void Backoff_doubles_per_retry_and_jitters_between_half_and_all_of_its_ceiling(int attempt, double random, int expectedMs)
    {
        var delay = BridgePolicies.Delay(attempt, response: null, new ScimOptions { RetryBaseDelayMilliseconds = 1000 }, random);

        Assert.Equal(expectedMs, (int)delay.TotalMilliseconds);
    }

    [Theory]
    [InlineData(7, 7)]
    [InlineData(600, 60)]
    public void A_bridge_Retry_After_wins_over_the_backoff_up_to_the_configured_cap(int retryAfterSeconds, int expectedSeconds)
    {
        using var tooMany = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        tooMany.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(retryAfterSeconds));

        var delay = BridgePolicies.Delay(1, tooMany, new ScimOptions { MaxRetryAfterSeconds = 60 }, random: 0.5);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), delay);
    }

    [Fact]
    public void A_bridge_unused_for_the_idle_lifetime_loses_its_policies_and_a_busy_one_keeps_them()
    {
        var policies = Create();
        var deleted = policies.For(Request("https://gone.example.org/scim/Users"));
        var busy = policies.For(Request("https://busy.example.org/scim/Users"));

        time.Advance(policies.IdleLifetime / 2);
        Assert.Same(busy, policies.For(Request("https://busy.example.org/scim/Groups")));
        time.Advance((policies.IdleLifetime / 2) + TimeSpan.FromMinutes(2));
        policies.For(Request("https://busy.example.org/scim/Users"));

        Assert.Equal(1, policies.Count);
        Assert.NotSame(deleted, policies.For(Request("https://gone.example.org/scim/Users")));
        Assert.Same(busy, policies.For(Request("https://busy.example.org/scim/Users")));
    }

    [Fact]
    public async Task Retries_and_opened_circuits_are_counted_on_the_bridge_meter()
    {
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BridgePolicies.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (measured)
            {
                measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();
        var policies = Create();
        using var request = Request("https://failing.example.org/scim/Users");

        using var response = await policies.For(request).ExecuteAsync(() => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)));
        listener.RecordObservableInstruments();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(2, measured["bridge.retries"]);
        Assert.Equal(1, measured["bridge.circuit.opened"]);
        Assert.Equal(1, measured["bridge.circuits.open"]);
    }

    public void Dispose() => services.Dispose();

    private BridgePolicies Create() =>
        new(Options.Create(options), jitter, time, services.GetRequiredService<IMeterFactory>(), NullLogger<BridgePolicies>.Instance);

    private static HttpRequestMessage Request(string url) => new(HttpMethod.Get, url);

    private sealed class FixedJitter : IJitterSource
    {
        public double Next() => 0.5;
    }
}
