using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace OnePasswordConnector.Scim;

/// <summary>
/// Resilience for sync traffic. Retries (outermost) wrap a circuit breaker per bridge origin, which wraps a
/// per-attempt timeout, so a slow attempt is retried and a bridge that keeps failing is left alone for a while
/// instead of being hammered by every run. 401 and 403 are answers, not faults: never retried.
/// </summary>
internal sealed class BridgePolicies(IOptions<ScimOptions> options, ILogger<BridgePolicies> logger)
{
    private readonly ConcurrentDictionary<string, IAsyncPolicy<HttpResponseMessage>> perOrigin = new(StringComparer.OrdinalIgnoreCase);

    public IAsyncPolicy<HttpResponseMessage> For(HttpRequestMessage request) =>
        perOrigin.GetOrAdd(request.RequestUri!.GetLeftPart(UriPartial.Authority), Build);

    internal static bool IsTransient(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;

    private IAsyncPolicy<HttpResponseMessage> Build(string origin)
    {
        var o = options.Value;
        var timeout = Policy.TimeoutAsync<HttpResponseMessage>(TimeSpan.FromSeconds(o.RequestTimeoutSeconds), TimeoutStrategy.Optimistic);

        var breaker = Policy<HttpResponseMessage>
            .Handle<HttpRequestException>().Or<TimeoutRejectedException>()
            .OrResult(r => (int)r.StatusCode >= 500)
            .CircuitBreakerAsync(o.CircuitBreakerFailures, TimeSpan.FromSeconds(o.CircuitBreakSeconds),
                onBreak: (_, wait) => logger.LogWarning("Circuit opened for bridge {BridgeOrigin} for {BreakSeconds} s after repeated failures", origin, wait.TotalSeconds),
                onReset: () => logger.LogInformation("Circuit closed again for bridge {BridgeOrigin}", origin));

        var retry = Policy<HttpResponseMessage>
            .Handle<HttpRequestException>().Or<TimeoutRejectedException>()
            .OrResult(IsTransient)
            .WaitAndRetryAsync(
                o.Retries,
                (attempt, outcome, _) => Delay(attempt, outcome, o),
                (outcome, delay, attempt, _) =>
                {
                    var reason = outcome.Exception?.GetType().Name ?? $"HTTP {(int)outcome.Result.StatusCode}";
                    logger.LogWarning("Retrying {BridgeOrigin} in {DelayMs} ms after {Reason} (retry {Attempt} of {Retries})",
                        origin, (long)delay.TotalMilliseconds, reason, attempt, o.Retries);
                    outcome.Result?.Dispose();
                    return Task.CompletedTask;
                });

        return Policy.WrapAsync(retry, breaker, timeout);
    }

    private static TimeSpan Delay(int attempt, DelegateResult<HttpResponseMessage> outcome, ScimOptions o)
    {
        if (outcome.Result is { } response && ScimClient.RetryAfter(response) is { } retryAfter)
        {
            return retryAfter > TimeSpan.FromSeconds(o.MaxRetryAfterSeconds) ? TimeSpan.FromSeconds(o.MaxRetryAfterSeconds) : retryAfter;
        }

        // Full jitter over an exponential ceiling spreads the retries of many replicas hitting one bridge.
        var ceiling = o.RetryBaseDelayMilliseconds * Math.Pow(2, attempt - 1);
        return TimeSpan.FromMilliseconds(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2));
    }
}
