using Npgsql;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// How a run ended, told to the features that react to it (webhooks) inside the transaction that records the end, so
/// that what they write commits or rolls back with the run. Sync defines it and knows no implementation.
/// </summary>
internal interface ISyncOutcomes
{
    /// <summary>
    /// Called on <paramref name="session"/> inside the run's transaction, after the run row was written: for a succeeded
    /// run its change events are in <c>change_events</c> under <see cref="SyncOutcome.RunId"/>.
    /// </summary>
    Task RecordAsync(NpgsqlConnection session, SyncOutcome outcome, CancellationToken cancellationToken);
}

/// <param name="PreviousFailures">The connection's consecutive failures before this run.</param>
/// <param name="At">The instant the run's end was recorded (its finished_at).</param>
internal sealed record SyncOutcome(
    Guid RunId, Guid ConnectionId, SyncRunStatus Status, BridgeFailure? Failure, string? Error, int PreviousFailures, DateTimeOffset At);
