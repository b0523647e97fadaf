using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.SignIns;

/// <summary>What one sync's collection did; a <see cref="FailureCode"/> says why it stopped short.</summary>
/// <param name="Read">Attempts the Events API sent.</param>
/// <param name="Unmatched">Of those, attempts that matched no synced user by uuid or by email.</param>
/// <param name="FailureCode">unauthorized, rate_limited, server_error, unreachable, timeout, hourly_limit, request_limit, ...; null when it read to the end.</param>
internal sealed record SignInCollection(int Read, int Unmatched, string? FailureCode = null, string? Failure = null);

/// <summary>
/// After a sync's merge, reads the sign-in attempts the Events API has since the saved cursor (the first time: the last
/// 120 days), page by page up to <c>has_more: false</c>. Each page is stored with its cursor in one transaction, so a
/// failure leaves the cursor after the last page stored and the next sync resumes there: nothing lost, nothing twice.
/// It never throws: the directory sync it follows has succeeded whatever happens here.
/// </summary>
internal sealed class SignInCollector(
    NpgsqlDataSource db,
    IHttpClientFactory httpClients,
    TokenProtector tokens,
    EventsRequestBudget budget,
    IOptions<EventsOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<SignInCollector> logger)
{
    /// <summary>1Password keeps events this long: a first collection reaches back as far.</summary>
    public const int EventsApiRetentionDays = 120;

    /// <summary>
    /// Null when the connection has no events token. It takes no token of the sync's: that one is the run's lease,
    /// which the committed run has released (its renewal then stops it), so collection ends only when the service
    /// stops, when its request budget is spent, or at the first page after its connection was deleted.
    /// </summary>
    public async Task<SignInCollection?> CollectAsync(Guid connectionId, DateTimeOffset runStartedAt)
    {
        var cancellationToken = lifetime.ApplicationStopping;
        var progress = new Progress();
        try
        {
            var result = await CollectCoreAsync(connectionId, runStartedAt, progress, cancellationToken);
            if (result?.FailureCode is { } code)
            {
                logger.LogWarning("Sign-in collection for connection {ConnectionId} stopped ({Failure}) after {AttemptCount} attempts: {Reason}",
                    connectionId, code, result.Read, result.Failure);
                await RecordFailureAsync(connectionId, result.Failure!);
            }
            else if (result is not null)
            {
                logger.LogInformation("Collected {AttemptCount} sign-in attempts for connection {ConnectionId}; {UnmatchedCount} matched no user",
                    result.Read, connectionId, result.Unmatched);
            }

            return result;
        }
        catch (Exception ex)
        {
            var (code, reason) = ex switch
            {
                OperationCanceledException => ("cancelled", "The service was stopping; the next sync continues from the saved cursor."),
                NpgsqlException or TimeoutException => ("database", "The database failed while sign-in attempts were stored; the next sync continues from the saved cursor."),
                _ => ("internal", "Sign-in collection stopped on an internal error of the connector; the next sync continues from the saved cursor."),
            };
            if (code == "internal")
            {
                logger.LogError(ex, "Sign-in collection for connection {ConnectionId} failed", connectionId);
            }
            else
            {
                logger.LogWarning("Sign-in collection for connection {ConnectionId} stopped ({Failure}): {Error}", connectionId, code, ex.Message);
            }

            await RecordFailureAsync(connectionId, reason);
            return new SignInCollection(progress.Read, progress.Unmatched, code, reason);
        }
    }

    private async Task<SignInCollection?> CollectCoreAsync(
        Guid connectionId, DateTimeOffset runStartedAt, Progress progress, CancellationToken cancellationToken)
    {
        Uri url;
        string token, account;
        string? cursor;
        await using (var load = db.CreateCommand(SignInSql.LoadSource))
        {
            load.Parameters.AddWithValue("c", connectionId);
            await using var reader = await load.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            url = new Uri(reader.GetString(0));
            token = tokens.Unprotect(reader.GetString(1));
            account = reader.IsDBNull(2) ? connectionId.ToString() : reader.GetString(2);
            cursor = reader.IsDBNull(3) ? null : reader.GetString(3);
        }

        var o = options.Value;
        var now = time.GetUtcNow();
        await ExpireAsync(connectionId, now.AddDays(-o.RetentionDays), cancellationToken);
        var users = await UserMatch.LoadAsync(db, connectionId, cancellationToken);
        var client = new EventsClient(httpClients.CreateClient(SignInsSetup.CollectClient));
        var start = PostgresTime.Microseconds(now.AddDays(-EventsApiRetentionDays));
        for (var requests = 0; ; requests++)
        {
            if (requests >= o.MaxRequestsPerSync)
            {
                return progress.Stopped("request_limit",
                    $"This sync made the {o.MaxRequestsPerSync} Events API requests one sync may make (Events:MaxRequestsPerSync); the next sync continues from the saved cursor.");
            }

            if (!await budget.TryAcquireAsync(account, cancellationToken))
            {
                return progress.Stopped("hourly_limit",
                    $"The Events API allows {o.RequestsPerHour} requests an hour per account and they are spent; the next sync continues from the saved cursor.");
            }

            SignInPage page;
            try
            {
                page = await client.SignInAttemptsAsync(url, token, cursor, start, o.PageSize, cancellationToken);
            }
            catch (EventsException ex)
            {
                return progress.Stopped(ex.Code, ex.Message);
            }

            var items = (page.Items ?? []).Where(i => !string.IsNullOrEmpty(i.Uuid)).ToArray();
            if (!await StoreAsync(connectionId, runStartedAt, cursor, page.Cursor ?? cursor, cursor is null ? start : null, items, users, cancellationToken))
            {
                logger.LogInformation("Sign-in collection for connection {ConnectionId} stopped: its token or connection was deleted, or another collection moved its cursor first", connectionId);
                return progress.Done();
            }

            progress.Read += items.Length;
            progress.Unmatched += items.Count(i => users.Match(i) is null);
            cursor = page.Cursor ?? cursor;
            if (!page.HasMore || page.Cursor is null)
            {
                return progress.Done();
            }
        }
    }

    private async Task<bool> StoreAsync(Guid connectionId, DateTimeOffset runStartedAt, string? previous, string? next, DateTimeOffset? knownSince,
        SignInItem[] items, UserMatch users, CancellationToken cancellationToken)
    {
        await using var session = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        if (items.Length > 0)
        {
            await using var insert = new NpgsqlCommand(SignInSql.InsertAttempts, session);
            insert.Parameters.AddWithValue("c", connectionId);
            insert.Parameters.AddWithValue("t", runStartedAt);
            Texts(insert, "uuid", items, i => i.Uuid);
            Texts(insert, "session_uuid", items, i => i.SessionUuid);
            insert.Parameters.AddWithValue("occurred_at", items.Select(i => PostgresTime.Microseconds(i.Timestamp.ToUniversalTime())).ToArray());
            Texts(insert, "category", items, i => i.Category ?? "unknown");
            Texts(insert, "type", items, i => i.Type);
            Texts(insert, "country", items, i => i.Country);
            Texts(insert, "target_user_uuid", items, i => i.TargetUser?.Uuid);
            Texts(insert, "target_user_email", items, i => i.TargetUser?.Email);
            Texts(insert, "target_user_name", items, i => i.TargetUser?.Name);
            Texts(insert, "user_scim_id", items, users.Match);
            Texts(insert, "client", items, i => i.Client is { ValueKind: System.Text.Json.JsonValueKind.Object } client ? client.GetRawText() : null);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var advance = new NpgsqlCommand(SignInSql.AdvanceCursor, session);
        advance.Parameters.AddWithValue("c", connectionId);
        advance.Parameters.AddWithValue("t", runStartedAt);
        advance.Parameters.AddWithValue("now", PostgresTime.Microseconds(time.GetUtcNow()));
        advance.Parameters.Add(new NpgsqlParameter("previous", NpgsqlDbType.Text) { Value = (object?)previous ?? DBNull.Value });
        advance.Parameters.Add(new NpgsqlParameter("next", NpgsqlDbType.Text) { Value = (object?)next ?? DBNull.Value });
        advance.Parameters.Add(new NpgsqlParameter("known_since", NpgsqlDbType.TimestampTz) { Value = (object?)knownSince ?? DBNull.Value });
        if (await advance.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static void Texts(NpgsqlCommand command, string name, SignInItem[] items, Func<SignInItem, string?> value) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = items.Select(value).ToArray() });

    private async Task ExpireAsync(Guid connectionId, DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(SignInSql.Expire);
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("before", PostgresTime.Microseconds(before));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task RecordFailureAsync(Guid connectionId, string reason)
    {
        try
        {
            await using var command = db.CreateCommand(SignInSql.RecordFailure);
            command.Parameters.AddWithValue("c", connectionId);
            command.Parameters.AddWithValue("error", reason);
            command.Parameters.AddWithValue("now", PostgresTime.Microseconds(time.GetUtcNow()));
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Could not record why sign-in collection for connection {ConnectionId} stopped: {Error}", connectionId, ex.Message);
        }
    }

    private sealed class Progress
    {
        public int Read { get; set; }
        public int Unmatched { get; set; }

        public SignInCollection Done() => new(Read, Unmatched);

        public SignInCollection Stopped(string code, string reason) => new(Read, Unmatched, code, reason);
    }
}
