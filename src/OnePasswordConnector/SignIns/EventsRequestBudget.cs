using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace OnePasswordConnector.SignIns;

/// <summary>
/// The Events API's limits per 1Password account (600 requests a minute, 30,000 an hour), kept on this replica: a
/// request over the minute's limit waits for the next window; once the hour's are spent, collection stops and the next
/// sync resumes from the saved cursor. Replicas do not share these counts; the API's own 429 is the backstop.
/// </summary>
internal sealed class EventsRequestBudget(IOptions<EventsOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, Limits> perAccount = new(StringComparer.Ordinal);

    /// <summary>False when the account's hourly budget is spent.</summary>
    public async ValueTask<bool> TryAcquireAsync(string account, CancellationToken cancellationToken)
    {
        var limits = perAccount.GetOrAdd(account, _ => new Limits(options.Value));
        using var hour = limits.Hour.AttemptAcquire();
        if (!hour.IsAcquired)
        {
            return false;
        }

        using var minute = await limits.Minute.AcquireAsync(1, cancellationToken);
        return minute.IsAcquired;
    }

    public void Dispose()
    {
        foreach (var limits in perAccount.Values)
        {
            limits.Minute.Dispose();
            limits.Hour.Dispose();
        }
    }

    private sealed class Limits(EventsOptions o)
    {
        public FixedWindowRateLimiter Minute { get; } = new(new FixedWindowRateLimiterOptions
        {
            PermitLimit = o.RequestsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 1000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });

        public FixedWindowRateLimiter Hour { get; } = new(new FixedWindowRateLimiterOptions
        {
            PermitLimit = o.RequestsPerHour,
            Window = TimeSpan.FromHours(1),
            QueueLimit = 0,
        });
    }
}
