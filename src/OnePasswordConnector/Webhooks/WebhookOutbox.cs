using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Webhooks;

/// <summary>
/// Writes a run's webhook events into the outbox inside the run's own transaction: the change events it recorded, and
/// what its end means for the connection (failed, token rejected, recovered). Nothing is written for a cancelled run.
/// </summary>
internal sealed class WebhookOutbox(IOptions<WebhookOptions> options) : ISyncOutcomes
{
    private readonly string[] privileged = [.. PrivilegedGroups.LowerCaseNames.Concat(options.Value.PrivilegedGroups.Select(n => n.Trim().ToLowerInvariant())).Distinct()];

    public async Task RecordAsync(NpgsqlConnection session, SyncOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.Status is not (SyncRunStatus.Succeeded or SyncRunStatus.Failed))
        {
            return;
        }

        var events = OutcomeEvents(outcome).ToList();
        await using var command = new NpgsqlCommand(WebhookSql.RunEvents, session);
        command.Parameters.AddWithValue("c", outcome.ConnectionId);
        command.Parameters.AddWithValue("r", outcome.RunId);
        command.Parameters.AddWithValue("status", outcome.Status.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("now", outcome.At);
        command.Parameters.AddWithValue("privileged", privileged);
        command.Parameters.AddWithValue("types", events.Select(e => e.Type).ToArray());
        command.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = events.Select(e => e.Detail).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static IEnumerable<(string Type, string Detail)> OutcomeEvents(SyncOutcome outcome)
    {
        if (outcome.Status == SyncRunStatus.Succeeded)
        {
            if (outcome.PreviousFailures > 0)
            {
                yield return (WebhookEventTypes.SyncRecovered, JsonSerializer.Serialize(new { failedRuns = outcome.PreviousFailures }));
            }

            yield break;
        }

        yield return (WebhookEventTypes.SyncFailed, JsonSerializer.Serialize(new
        {
            failure = BridgeFailures.Code(outcome.Failure),
            error = outcome.Error,
            consecutiveFailures = outcome.PreviousFailures + 1,
        }));
        if (outcome.Failure == BridgeFailure.Unauthorized)
        {
            yield return (WebhookEventTypes.TokenRejected, JsonSerializer.Serialize(new { error = outcome.Error }));
        }
    }
}
