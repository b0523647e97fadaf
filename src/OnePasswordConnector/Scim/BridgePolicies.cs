using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Hosting;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace OnePasswordConnector.Scim;

/// <summary>
/// Resilience for sync traffic. Retries (outermost) wrap a circuit breaker per bridge origin, which wraps a
/// per-attempt timeout, so a slow attempt is retried and a bridge that keeps failing is left alone for a while
/// instead of being hammered by every run. 401 and 403 are answers, not faults: never retried.
/// A bridge's policies are dropped once it has gone unused for <see cref="IdleLifetime"/> (its connection deleted,
/// its URL changed), so thousands of tenants coming and going do not grow the set for ever.
/// </summary>
internal sealed class BridgePolicies
{
    public const string MeterName = "OnePasswordConnector.Bridge";

    private readonly ConcurrentDictionary<string, OriginPolicies> perOrigin = new(StringComparer.OrdinalIgnoreCase);
    private readonly IOptions<ScimOptions> options;
    private readonly IJitterSource jitter;
    private readonly TimeProvider time;
    private readonly ILogger<BridgePolicies> logger;
    private readonly Counter<long> retries;
    private readonly Counter<long> circuitsOpened;
    private long nextSweepTicks;

    public BridgePolicies(IOptions<ScimOptions> options, IJitterSource jitter, TimeProvider time, IMeterFactory meters, ILogger<BridgePolicies> logger)
    {
        this.options = options;
        this.jitter = jitter;
        this.time = time;
        this.logger = logger;
        var meter = meters.Create(MeterName);
        retries = meter.CreateCounter<long>("bridge.retries", "{retry}", "Requests to bridges retried, by reason.");
        circuitsOpened = meter.CreateCounter<long>("bridge.circuit.opened", "{circuit}", "Times a bridge's circuit opened after repeated failures.");
        meter.CreateObservableGauge("bridge.circuits.open", () => perOrigin.Values.LongCount(p => p.Breaker.CircuitState == CircuitState.Open),
            "{circuit}", "Bridges whose circuit is open now: their requests fail fast until it half-opens.");
        meter.CreateObservableGauge("bridge.policies", () => (long)perOrigin.Count, "{bridge}", "Bridges with resilience policies in memory.");
    }

    /// <summary>Long enough that an open circuit is never forgotten while it matters.</summary>
    public TimeSpan IdleLifetime => TimeSpan.FromSeconds(Math.Max(3600, 2 * options.Value.CircuitBreakSeconds));

    public int Count => perOrigin.Count;

    public IAsyncPolicy<HttpResponseMessage> For(HttpRequestMessage request)
    {
        var now = time.GetUtcNow();
        var policies = perOrigin.GetOrAdd(request.RequestUri!.GetLeftPart(UriPartial.Authority), Build);
        policies.LastUsedTicks = now.UtcTicks;
        DropIdle(now);
        return policies.Policy;
    }

    internal static bool IsTransient(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;

    /// <summary>
    /// How long to wait before retry <paramref name="attempt"/>: the bridge's Retry-After (capped), or else full jitter
    /// over half to all of an exponential ceiling, which spreads the retries of many replicas hitting one bridge.
    /// </summary>
    internal static TimeSpan Delay(int attempt, HttpResponseMessage? response, ScimOptions o, double random)
    {
        if (response is not null && ScimClient.RetryAfter(response) is { } retryAfter)
        {
            return retryAfter > TimeSpan.FromSeconds(o.MaxRetryAfterSeconds) ? TimeSpan.FromSeconds(o.MaxRetryAfterSeconds) : retryAfter;
        }

        var ceiling = o.RetryBaseDelayMilliseconds * Math.Pow(2, attempt - 1);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (random * ceiling / 2));
    }

    private void DropIdle(DateTimeOffset now)
    {
        var next = Interlocked.Read(ref nextSweepTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref nextSweepTicks, now.AddMinutes(1).UtcTicks, next) != next)
        {
            return;
        }

        var cutoff = (now - IdleLifetime).UtcTicks;
        foreach (var (origin, policies) in perOrigin)
        {
            if (policies.LastUsedTicks < cutoff && perOrigin.TryRemove(new KeyValuePair<string, OriginPolicies>(origin, policies)))
            {
                logger.LogDebug("Dropped the resilience policies of bridge {BridgeOrigin}: unused since {LastUsedAt}",
                    origin, new DateTimeOffset(policies.LastUsedTicks, TimeSpan.Zero));
            }
        }
    }

    private OriginPolicies Build(string origin)
    {
        var o = options.Value;
        var timeout = Policy.TimeoutAsync<HttpResponseMessage>(TimeSpan.FromSeconds(o.RequestTimeoutSeconds), TimeoutStrategy.Optimistic);

        var breaker = Policy<HttpResponseMessage>
            .Handle<HttpRequestException>().Or<TimeoutRejectedException>()
            .OrResult(r => (int)r.StatusCode >= 500)
            .CircuitBreakerAsync(o.CircuitBreakerFailures, TimeSpan.FromSeconds(o.CircuitBreakSeconds),
                onBreak: (_, wait) =>
                {
                    circuitsOpened.Add(1);
                    logger.LogWarning("Circuit opened for bridge {BridgeOrigin} for {BreakSeconds} s after repeated failures", origin, wait.TotalSeconds);
                },
                onReset: () => logger.LogInformation("Circuit closed again for bridge {BridgeOrigin}", origin),
                onHalfOpen: () => logger.LogInformation("Circuit half-open for bridge {BridgeOrigin}: the next request tries it again", origin));

        var retry = Policy<HttpResponseMessage>
            .Handle<HttpRequestException>().Or<TimeoutRejectedException>()
            .OrResult(IsTransient)
            .WaitAndRetryAsync(
                o.Retries,
                (attempt, outcome, _) => Delay(attempt, outcome.Result, o, jitter.Next()),
                (outcome, delay, attempt, _) =>
                {
                    var reason = outcome.Exception?.GetType().Name ?? $"HTTP {(int)outcome.Result.StatusCode}";
                    retries.Add(1, new KeyValuePair<string, object?>("reason", reason));
                    logger.LogWarning("Retrying {BridgeOrigin} in {DelayMs} ms after {Reason} (retry {Attempt} of {Retries})",
                        origin, (long)delay.TotalMilliseconds, reason, attempt, o.Retries);
                    outcome.Result?.Dispose();
                    return Task.CompletedTask;
                });

        return new OriginPolicies(Policy.WrapAsync(retry, breaker, timeout), breaker);
    }

    private sealed class OriginPolicies(IAsyncPolicy<HttpResponseMessage> policy, AsyncCircuitBreakerPolicy<HttpResponseMessage> breaker)
    {
        public IAsyncPolicy<HttpResponseMessage> Policy { get; } = policy;

        public AsyncCircuitBreakerPolicy<HttpResponseMessage> Breaker { get; } = breaker;

        public long LastUsedTicks { get; set; }
    }
}
