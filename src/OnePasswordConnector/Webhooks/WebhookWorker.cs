using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Webhooks;

/// <summary>
/// Delivers the outbox, on every replica. A poll raises connection.stale where due, then claims due deliveries (each
/// the oldest pending one of its subscription and connection) and posts them, and claims again until nothing is due.
/// A claim is a reservation in the database, not a lock held while posting: a replica that dies after claiming only
/// delays the delivery until the reservation ends, and one that dies before claiming leaves it for the others.
/// </summary>
internal sealed class WebhookWorker(
    NpgsqlDataSource db,
    IHttpClientFactory httpClients,
    WebhookSecrets secrets,
    IJitterSource jitter,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim pass = new(1, 1);

    /// <summary>Names this replica in the attempts it records.</summary>
    public string Replica { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WorkerEnabled)
        {
            logger.LogInformation("The webhook worker is disabled on this replica");
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database hiccup must not end the worker: the outbox keeps everything for the next poll.
                logger.LogError(ex, "A webhook delivery poll failed; retrying in {PollSeconds} s", options.Value.PollSeconds);
            }

            await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>One poll: raise connection.stale where due, then deliver everything due. Returns the attempts made.</summary>
    internal async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await pass.WaitAsync(cancellationToken);
        try
        {
            await RaiseStaleAsync(cancellationToken);
            var attempts = 0;
            // Each round delivers the head of every queue; bounded, so one poll cannot run forever on a flood.
            for (var round = 0; round < 100; round++)
            {
                var claimed = await ClaimAsync(cancellationToken);
                if (claimed.Count == 0)
                {
                    break;
                }

                await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                    async (delivery, ct) => await DeliverAsync(delivery, ct));
                attempts += claimed.Count;
            }

            return attempts;
        }
        finally
        {
            pass.Release();
        }
    }

    private async Task RaiseStaleAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(WebhookSql.StaleConnections);
        command.Parameters.AddWithValue("now", PostgresTime.Microseconds(time.GetUtcNow()));
        var raised = await command.ExecuteNonQueryAsync(cancellationToken);
        if (raised > 0)
        {
            logger.LogInformation("Raised connection.stale: {Deliveries} deliveries queued", raised);
        }
    }

    private async Task<List<ClaimedDelivery>> ClaimAsync(CancellationToken cancellationToken)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        await using var command = db.CreateCommand(WebhookSql.Claim);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("until", now.AddSeconds(options.Value.ClaimSeconds));
        command.Parameters.AddWithValue("batch", options.Value.BatchSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8)));
        }

        return claimed;
    }

    private async Task DeliverAsync(ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var clock = time.GetTimestamp();
        var (statusCode, error) = await PostAsync(delivery, started, cancellationToken);
        var at = PostgresTime.Microseconds(time.GetUtcNow());

        await using var session = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        await using (var attempt = new NpgsqlCommand(WebhookSql.RecordAttempt, session))
        {
            attempt.Parameters.AddWithValue("id", delivery.Id);
            attempt.Parameters.AddWithValue("at", PostgresTime.Microseconds(started));
            attempt.Parameters.AddWithValue("status_code", (object?)statusCode ?? DBNull.Value);
            attempt.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
            attempt.Parameters.AddWithValue("duration", (int)Math.Min(int.MaxValue, time.GetElapsedTime(clock).TotalMilliseconds));
            attempt.Parameters.AddWithValue("replica", Replica);
            await attempt.ExecuteNonQueryAsync(cancellationToken);
        }

        var gone = statusCode == (int)HttpStatusCode.Gone;
        var expired = at - delivery.CreatedAt >= TimeSpan.FromHours(options.Value.RetryHours);
        var sql = error is null ? WebhookSql.Succeeded : gone || expired ? WebhookSql.GiveUp : WebhookSql.RetryLater;
        await using (var outcome = new NpgsqlCommand(sql, session))
        {
            outcome.Parameters.AddWithValue("id", delivery.Id);
            outcome.Parameters.AddWithValue("attempts", delivery.Attempts);
            outcome.Parameters.AddWithValue("at", at);
            outcome.Parameters.AddWithValue("next", at + Backoff(delivery.Attempts));
            outcome.Parameters.AddWithValue("reason", gone
                ? $"Disabled on {at:u}: the endpoint answered 410 Gone, which asks for no more webhooks. Enable it again to resume."
                : $"Disabled on {at:u}: a delivery failed for {options.Value.RetryHours} hours ({error}). Enable it again to resume.");
            await outcome.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (error is null)
        {
            logger.LogInformation("Delivered webhook event {EventId} ({EventType}) to subscription {SubscriptionId} on attempt {Attempt}",
                delivery.EventId, delivery.Type, delivery.SubscriptionId, delivery.Attempts);
        }
        else if (gone || expired)
        {
            logger.LogWarning("Gave up delivering webhook event {EventId} to subscription {SubscriptionId} after {Attempt} attempts ({Error}); the subscription is disabled",
                delivery.EventId, delivery.SubscriptionId, delivery.Attempts, error);
        }
        else
        {
            logger.LogInformation("Webhook event {EventId} to subscription {SubscriptionId} failed on attempt {Attempt} ({Error}); retrying",
                delivery.EventId, delivery.SubscriptionId, delivery.Attempts, error);
        }
    }

    /// <summary>Posts the event: the status code, and null or why the attempt failed (never the response body).</summary>
    private async Task<(int? StatusCode, string? Error)> PostAsync(ClaimedDelivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var webhookId = WebhookSignature.WebhookId(delivery.EventId);
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new StringContent(delivery.Payload, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", webhookId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(secrets.Unprotect(delivery.ProtectedSecret), webhookId, timestamp, delivery.Payload));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.RequestTimeoutSeconds));
        try
        {
            using var response = await httpClients.CreateClient(WebhooksSetup.DeliveryClient)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return (status, response.IsSuccessStatusCode ? null : $"the endpoint answered {status} {response.ReasonPhrase}".TrimEnd());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {options.Value.RequestTimeoutSeconds} s");
        }
        catch (HttpRequestException ex) when (Find<BlockedAddressException>(ex) is not null)
        {
            return (null, "the endpoint's host resolves to an address the SSRF policy does not allow");
        }
        catch (HttpRequestException ex)
        {
            return (null, $"could not reach the endpoint ({ex.HttpRequestError})");
        }
    }

    /// <summary>Exponential back-off with jitter (half to all of the doubled delay), capped.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        var seconds = Math.Min(options.Value.MaxRetryDelayMinutes * 60.0, options.Value.RetryBaseSeconds * Math.Pow(2, Math.Min(attempts - 1, 30)));
        return TimeSpan.FromSeconds(seconds * (0.5 + (jitter.Next() / 2)));
    }

    private static T? Find<T>(Exception exception) where T : Exception
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    public override void Dispose()
    {
        pass.Dispose();
        base.Dispose();
    }

    private sealed record ClaimedDelivery(
        Guid Id, Guid SubscriptionId, long EventId, int Attempts, DateTimeOffset CreatedAt, string Type, string Payload, string Url, string ProtectedSecret);
}

/// <summary>Encrypts signing secrets at rest with ASP.NET Core Data Protection, whose key ring every replica shares.</summary>
internal sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("OnePasswordConnector.Webhooks.SigningSecret.v1");

    public string Protect(string secret) => protector.Protect(secret);

    public string Unprotect(string protectedSecret) => protector.Unprotect(protectedSecret);
}
