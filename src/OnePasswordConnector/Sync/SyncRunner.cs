using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// One sync of one connection: enumerate the bridge completely into staging tables, then merge in one transaction.
/// Nothing about the stored directory changes unless every page of both resource types was read.
/// </summary>
internal sealed class SyncRunner(
    NpgsqlDataSource db,
    IHttpClientFactory httpClients,
    TokenProtector tokens,
    SyncScheduleCalculator schedule,
    SyncMetrics metrics,
    IOptions<SyncOptions> options,
    TimeProvider time,
    ILogger<SyncRunner> logger)
{
    internal static readonly string[] PrivilegedGroupNames = ["Owners", "Administrators"];

    public async Task<SyncRunStatus> RunAsync(Guid runId, Guid connectionId, CancellationToken cancellationToken)
    {
        var connection = await LoadConnectionAsync(connectionId, cancellationToken);
        var startedAt = time.GetTimestamp();
        var progress = new SyncProgress();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(TimeSpan.FromMinutes(options.Value.BudgetMinutes));
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(budget.Token);
        var beating = HeartbeatAsync(runId, progress, heartbeat.Token);
        var report = new BridgeReport();
        try
        {
            var bridge = new BridgeEndpoint(new Uri(connection.ScimBaseUrl), tokens.Unprotect(connection.ProtectedToken));
            var client = new ScimClient(httpClients.CreateClient(ScimSetup.SyncClient));
            await ReadBridgeStatusAsync(client, bridge, report, budget.Token);
            await using var session = await db.OpenConnectionAsync(budget.Token);
            await Execute(session, SyncSql.CreateStaging, budget.Token);
            var counts = await StageAsync(session, client, bridge, progress, report, budget.Token);
            await heartbeat.CancelAsync();
            await beating;
            await MergeAsync(session, runId, connection, counts, progress, report, cancellationToken);
            await Execute(session, SyncSql.DropStaging, CancellationToken.None);
            logger.LogInformation(
                "Sync {RunId} of connection {ConnectionId} succeeded: {UsersSeen} users, {GroupsSeen} groups, {MembershipsSeen} memberships, {ChangeEvents} changes",
                runId, connectionId, counts.UsersSeen, counts.GroupsSeen, counts.MembershipsSeen, counts.ChangeEvents);
            metrics.Succeeded(time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Succeeded;
        }
        catch (Exception ex) when (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            await heartbeat.CancelAsync();
            await beating;
            logger.LogWarning("Sync {RunId} of connection {ConnectionId} was cancelled", runId, connectionId);
            await FailAsync(runId, connection, SyncRunStatus.Cancelled, "The sync was cancelled (the service was stopping).", null, progress, report);
            metrics.Failed("cancelled", time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Cancelled;
        }
        catch (Exception ex)
        {
            await heartbeat.CancelAsync();
            await beating;
            var (message, failure) = ex switch
            {
                BridgeException bridge => (bridge.Message, (BridgeFailure?)bridge.Failure),
                OperationCanceledException => ($"The sync exceeded its time budget of {options.Value.BudgetMinutes} minutes.", BridgeFailure.Timeout),
                NpgsqlException => ($"The database failed during the sync: {ex.Message}", null),
                _ => ($"The sync failed with an internal error ({ex.GetType().Name}).", null),
            };
            if (ex is BridgeException or OperationCanceledException)
            {
                logger.LogWarning("Sync {RunId} of connection {ConnectionId} failed ({Failure}): {Error}", runId, connectionId, failure, message);
            }
            else
            {
                logger.LogError(ex, "Sync {RunId} of connection {ConnectionId} failed: {Error}", runId, connectionId, message);
            }

            await FailAsync(runId, connection, SyncRunStatus.Failed, message, failure, progress, report);
            var reason = failure is { } f ? ConnectionsApi.FailureCode(f)! : ex is NpgsqlException ? "database" : "internal";
            metrics.Failed(reason, time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Failed;
        }
    }

    private async Task<StageCounts> StageAsync(
        NpgsqlConnection session, ScimClient client, BridgeEndpoint bridge, SyncProgress progress, BridgeReport report,
        CancellationToken cancellationToken)
    {
        var pager = new ScimPager(client, options.Value.PageSize, options.Value.MaxPages);
        var groups = new List<ScimGroup>();
        var unknownMembers = new HashSet<string>(StringComparer.Ordinal);
        var memberships = 0;

        // Groups first: then it is known, before users are read, which groups need their members from the users.
        await using (var members = await session.BeginBinaryImportAsync(SyncSql.CopyMembers, cancellationToken))
        {
            await foreach (var resource in pager.EnumerateAsync(bridge, "Groups", progress, cancellationToken: cancellationToken))
            {
                var group = ScimGroup.Parse(resource);
                var list = group.Members ?? await ReadMembersAsync(client, bridge, group.Id, cancellationToken);
                if (list is null)
                {
                    unknownMembers.Add(group.Id);
                }
                else
                {
                    memberships += await WriteMembersAsync(members, group.Id, list, cancellationToken);
                }

                groups.Add(group with { Members = list });
            }

            await members.CompleteAsync(cancellationToken);
        }

        var fromUsers = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var usersCarryGroups = false;
        var users = 0;
        await using (var writer = await session.BeginBinaryImportAsync(SyncSql.CopyUsers, cancellationToken))
        {
            await foreach (var resource in pager.EnumerateAsync(bridge, "Users", progress, cancellationToken: cancellationToken))
            {
                var user = ScimUser.Parse(resource);
                users++;
                usersCarryGroups |= ScimJson.Property(resource, "groups") is not null;
                foreach (var groupId in user.GroupIds)
                {
                    if (unknownMembers.Contains(groupId))
                    {
                        (fromUsers.TryGetValue(groupId, out var set) ? set : fromUsers[groupId] = new HashSet<string>(StringComparer.Ordinal)).Add(user.Id);
                    }
                }

                await WriteUserAsync(writer, user, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // Groups listed without members: the users' own group lists are the members, when the bridge sends them.
        if (usersCarryGroups && unknownMembers.Count > 0)
        {
            await using var members = await session.BeginBinaryImportAsync(SyncSql.CopyMembers, cancellationToken);
            foreach (var (groupId, userIds) in fromUsers)
            {
                memberships += await WriteMembersAsync(members, groupId, [.. userIds.Select(id => new ScimMember(id, "User"))], cancellationToken);
            }

            await members.CompleteAsync(cancellationToken);
            unknownMembers.Clear();
        }

        await using (var writer = await session.BeginBinaryImportAsync(SyncSql.CopyGroups, cancellationToken))
        {
            foreach (var group in groups)
            {
                await WriteGroupAsync(writer, group, membersKnown: !unknownMembers.Contains(group.Id), cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        report.PrivilegedGroups = [.. groups.Select(g => g.DisplayName).Where(n => PrivilegedGroupNames.Contains(n, StringComparer.OrdinalIgnoreCase))];
        await Execute(session, SyncSql.AnalyzeStaging, cancellationToken);
        return new StageCounts { UsersSeen = users, GroupsSeen = groups.Count, MembershipsSeen = memberships };
    }

    /// <summary>Members of a group listed without them, from <c>GET /Groups/{id}</c>; null when that has none either.</summary>
    private static async Task<IReadOnlyList<ScimMember>?> ReadMembersAsync(ScimClient client, BridgeEndpoint bridge, string groupId, CancellationToken cancellationToken)
    {
        using var document = await client.GetJsonAsync(bridge, bridge.Resolve($"Groups/{Uri.EscapeDataString(groupId)}"), cancellationToken);
        return ScimGroup.Parse(document.RootElement).Members;
    }

    private async Task MergeAsync(
        NpgsqlConnection session, Guid runId, ConnectionSnapshot connection, StageCounts counts, SyncProgress progress,
        BridgeReport report, CancellationToken cancellationToken)
    {
        var now = Microseconds(time.GetUtcNow());
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        var parameters = new Func<NpgsqlCommand, NpgsqlCommand>(cmd =>
        {
            cmd.Parameters.AddWithValue("c", connection.Id);
            cmd.Parameters.AddWithValue("r", runId);
            cmd.Parameters.AddWithValue("t", now);
            cmd.Parameters.Add(new NpgsqlParameter("prev", NpgsqlDbType.TimestampTz) { Value = (object?)connection.LastSuccessfulSyncAt ?? DBNull.Value });
            return cmd;
        });

        (counts.UsersAdded, counts.UsersChanged, counts.UsersRemoved) = await Triple(session, SyncSql.MergeUsers, parameters, cancellationToken);
        (counts.GroupsAdded, counts.GroupsChanged, counts.GroupsRemoved) = await Triple(session, SyncSql.MergeGroups, parameters, cancellationToken);
        await using (var merge = parameters(new NpgsqlCommand(SyncSql.MergeMemberships, session)))
        await using (var reader = await merge.ExecuteReaderAsync(cancellationToken))
        {
            while (!await reader.ReadAsync(cancellationToken) && await reader.NextResultAsync(cancellationToken))
            {
            }

            counts.MembershipsSeen = reader.GetInt32(0);
            counts.MembershipsAdded = reader.GetInt32(1);
            counts.MembershipsRemoved = reader.GetInt32(2);
            counts.ChangeEvents = reader.GetInt32(3);
        }

        await using (var complete = parameters(new NpgsqlCommand(SyncSql.CompleteRun, session)))
        {
            complete.Parameters.AddWithValue("pages", progress.Pages);
            complete.Parameters.AddWithValue("resources", progress.Resources);
            complete.Parameters.AddWithValue("users_seen", counts.UsersSeen);
            complete.Parameters.AddWithValue("users_added", counts.UsersAdded);
            complete.Parameters.AddWithValue("users_changed", counts.UsersChanged);
            complete.Parameters.AddWithValue("users_removed", counts.UsersRemoved);
            complete.Parameters.AddWithValue("groups_seen", counts.GroupsSeen);
            complete.Parameters.AddWithValue("groups_added", counts.GroupsAdded);
            complete.Parameters.AddWithValue("groups_changed", counts.GroupsChanged);
            complete.Parameters.AddWithValue("groups_removed", counts.GroupsRemoved);
            complete.Parameters.AddWithValue("memberships_seen", counts.MembershipsSeen);
            complete.Parameters.AddWithValue("memberships_added", counts.MembershipsAdded);
            complete.Parameters.AddWithValue("memberships_removed", counts.MembershipsRemoved);
            complete.Parameters.AddWithValue("change_events", counts.ChangeEvents);
            complete.Parameters.AddWithValue("next", schedule.Next(now, connection.SyncIntervalMinutes));
            complete.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Text) { Value = (object?)report.Version ?? DBNull.Value });
            await complete.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertReportAsync(session, runId, connection.Id, now, report with { Verdict = "succeeded" }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task FailAsync(Guid runId, ConnectionSnapshot connection, SyncRunStatus status, string error, BridgeFailure? failure,
        SyncProgress progress, BridgeReport report)
    {
        var now = Microseconds(time.GetUtcNow());
        var unauthorized = failure == BridgeFailure.Unauthorized;
        var connectionStatus = status == SyncRunStatus.Cancelled
            ? (connection.Status == ConnectionStatus.Pending ? "pending" : connection.Status.ToString().ToLowerInvariant())
            : unauthorized ? "unauthorized" : "failing";
        var next = status == SyncRunStatus.Cancelled
            ? now
            : schedule.Backoff(now, connection.ConsecutiveFailures + 1, connection.SyncIntervalMinutes);
        try
        {
            await using var session = await db.OpenConnectionAsync(CancellationToken.None);
            await using var transaction = await session.BeginTransactionAsync(CancellationToken.None);
            await using (var command = new NpgsqlCommand(SyncSql.FailRun, session))
            {
                command.Parameters.AddWithValue("r", runId);
                command.Parameters.AddWithValue("c", connection.Id);
                command.Parameters.AddWithValue("t", now);
                command.Parameters.AddWithValue("status", status.ToString().ToLowerInvariant());
                command.Parameters.AddWithValue("connection_status", connectionStatus);
                command.Parameters.AddWithValue("error", error);
                command.Parameters.AddWithValue("pages", progress.Pages);
                command.Parameters.AddWithValue("resources", progress.Resources);
                command.Parameters.AddWithValue("next", next);
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }

            await InsertReportAsync(session, runId, connection.Id, now, report with
            {
                Verdict = status.ToString().ToLowerInvariant(),
                Error = error,
                TokenAccepted = unauthorized ? false : report.TokenAccepted,
                Reachable = report.Reachable || failure is not (BridgeFailure.Unreachable or BridgeFailure.Timeout or BridgeFailure.BlockedAddress),
            }, CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
            if (status == SyncRunStatus.Failed)
            {
                logger.LogInformation(
                    "Connection {ConnectionId} backs off until {NextSyncAt} after {ConsecutiveFailures} consecutive failures (status {ConnectionStatus})",
                    connection.Id, next, connection.ConsecutiveFailures + 1, connectionStatus);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The run stays 'running' until its lease expires; then whoever finds it marks it abandoned.
            logger.LogError(ex, "Could not record the end of sync {RunId}", runId);
        }
    }

    /// <summary>What the bridge says about itself: capabilities and, on a 1Password bridge, version and health.</summary>
    private static async Task ReadBridgeStatusAsync(ScimClient client, BridgeEndpoint bridge, BridgeReport report, CancellationToken cancellationToken)
    {
        using (var config = await client.GetJsonAsync(bridge, bridge.Resolve("ServiceProviderConfig"), cancellationToken))
        {
            report.Reachable = true;
            report.TokenAccepted = true;
            report.ServiceProviderConfig = config.RootElement.GetRawText();
        }

        try
        {
            using var health = await client.GetJsonAsync(bridge, new Uri(bridge.Origin, "/health"), cancellationToken);
            if (health.RootElement.ValueKind == JsonValueKind.Object)
            {
                report.Version = ScimJson.String(health.RootElement, "version");
                report.Build = ScimJson.String(health.RootElement, "build");
                report.Health = health.RootElement.GetRawText();
            }
        }
        catch (BridgeException ex) when (ex.Failure is not BridgeFailure.Unauthorized)
        {
            // Not every SCIM server has /health; its absence is not a failed sync.
        }
    }

    private static async Task InsertReportAsync(NpgsqlConnection session, Guid runId, Guid connectionId, DateTimeOffset now, BridgeReport report, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SyncSql.InsertProvisioningReport, session);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7(now));
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("r", runId);
        command.Parameters.AddWithValue("t", now);
        command.Parameters.AddWithValue("reachable", report.Reachable);
        command.Parameters.Add(new NpgsqlParameter("token_accepted", NpgsqlDbType.Boolean) { Value = (object?)report.TokenAccepted ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Text) { Value = (object?)report.Version ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("build", NpgsqlDbType.Text) { Value = (object?)report.Build ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("health", NpgsqlDbType.Text) { Value = (object?)report.Health ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("config", NpgsqlDbType.Text) { Value = (object?)report.ServiceProviderConfig ?? DBNull.Value });
        command.Parameters.AddWithValue("privileged", report.PrivilegedGroups);
        command.Parameters.AddWithValue("verdict", report.Verdict);
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)report.Error ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task HeartbeatAsync(Guid runId, SyncProgress progress, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds), time, cancellationToken);
                await using var command = db.CreateCommand(SyncSql.Progress);
                command.Parameters.AddWithValue("r", runId);
                command.Parameters.AddWithValue("pages", progress.Pages);
                command.Parameters.AddWithValue("resources", progress.Resources);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not record the progress of sync {RunId}: {Error}", runId, ex.Message);
        }
    }

    private async Task<ConnectionSnapshot> LoadConnectionAsync(Guid connectionId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT scim_base_url, protected_token, last_successful_sync_at, sync_interval_minutes, status, consecutive_failures
            FROM connections WHERE id = @c
            """);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"Connection {connectionId} does not exist.");
        }

        return new ConnectionSnapshot(
            connectionId, reader.GetString(0), reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt32(3),
            Enum.Parse<ConnectionStatus>(reader.GetString(4), ignoreCase: true), reader.GetInt32(5));
    }

    private static async Task<(int, int, int)> Triple(NpgsqlConnection session, string sql, Func<NpgsqlCommand, NpgsqlCommand> parameters, CancellationToken cancellationToken)
    {
        await using var command = parameters(new NpgsqlCommand(sql, session));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (!await reader.ReadAsync(cancellationToken) && await reader.NextResultAsync(cancellationToken))
        {
        }

        return (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
    }

    private static async Task Execute(NpgsqlConnection session, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, session);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<int> WriteMembersAsync(NpgsqlBinaryImporter writer, string groupId, IReadOnlyList<ScimMember> members, CancellationToken cancellationToken)
    {
        foreach (var member in members)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(groupId, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(member.Id, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(member.Type, NpgsqlDbType.Text, cancellationToken);
        }

        return members.Count;
    }

    private static async Task WriteUserAsync(NpgsqlBinaryImporter writer, ScimUser user, CancellationToken cancellationToken)
    {
        await writer.StartRowAsync(cancellationToken);
        await writer.WriteAsync(user.Id, NpgsqlDbType.Text, cancellationToken);
        await WriteNullable(writer, user.ExternalId, cancellationToken);
        await writer.WriteAsync(user.UserName, NpgsqlDbType.Text, cancellationToken);
        await WriteNullable(writer, user.GivenName, cancellationToken);
        await WriteNullable(writer, user.FamilyName, cancellationToken);
        await WriteNullable(writer, user.FormattedName, cancellationToken);
        await WriteNullable(writer, user.DisplayName, cancellationToken);
        await WriteNullable(writer, user.PrimaryEmail, cancellationToken);
        await writer.WriteAsync(user.Emails, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
        await writer.WriteAsync(user.Active, NpgsqlDbType.Boolean, cancellationToken);
        await WriteNullable(writer, user.State, cancellationToken);
        await WriteNullable(writer, user.Created, cancellationToken);
        await WriteNullable(writer, user.LastModified, cancellationToken);
        await writer.WriteAsync(user.Raw, NpgsqlDbType.Jsonb, cancellationToken);
        await writer.WriteAsync(user.Hash, NpgsqlDbType.Bytea, cancellationToken);
    }

    private static async Task WriteGroupAsync(NpgsqlBinaryImporter writer, ScimGroup group, bool membersKnown, CancellationToken cancellationToken)
    {
        await writer.StartRowAsync(cancellationToken);
        await writer.WriteAsync(group.Id, NpgsqlDbType.Text, cancellationToken);
        await writer.WriteAsync(group.DisplayName, NpgsqlDbType.Text, cancellationToken);
        await WriteNullable(writer, group.ExternalId, cancellationToken);
        await WriteNullable(writer, group.Created, cancellationToken);
        await WriteNullable(writer, group.LastModified, cancellationToken);
        await writer.WriteAsync(group.Raw, NpgsqlDbType.Jsonb, cancellationToken);
        await writer.WriteAsync(group.Hash, NpgsqlDbType.Bytea, cancellationToken);
        await writer.WriteAsync(membersKnown, NpgsqlDbType.Boolean, cancellationToken);
    }

    private static Task WriteNullable(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task WriteNullable(NpgsqlBinaryImporter writer, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } v ? writer.WriteAsync(v.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken) : writer.WriteNullAsync(cancellationToken);

    /// <summary>PostgreSQL keeps microseconds; rounding first makes the stored instant equal the one in memory.</summary>
    internal static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    private sealed record ConnectionSnapshot(
        Guid Id, string ScimBaseUrl, string ProtectedToken, DateTimeOffset? LastSuccessfulSyncAt, int SyncIntervalMinutes,
        ConnectionStatus Status, int ConsecutiveFailures);

    private sealed class StageCounts
    {
        public int UsersSeen { get; init; }
        public int UsersAdded { get; set; }
        public int UsersChanged { get; set; }
        public int UsersRemoved { get; set; }
        public int GroupsSeen { get; init; }
        public int GroupsAdded { get; set; }
        public int GroupsChanged { get; set; }
        public int GroupsRemoved { get; set; }
        public int MembershipsSeen { get; set; }
        public int MembershipsAdded { get; set; }
        public int MembershipsRemoved { get; set; }
        public int ChangeEvents { get; set; }
    }

    private sealed record BridgeReport
    {
        public bool Reachable { get; set; }
        public bool? TokenAccepted { get; set; }
        public string? Version { get; set; }
        public string? Build { get; set; }
        public string? Health { get; set; }
        public string? ServiceProviderConfig { get; set; }
        public string[] PrivilegedGroups { get; set; } = [];
        public string Verdict { get; init; } = "running";
        public string? Error { get; init; }
    }

    private sealed class SyncProgress : IEnumerationProgress
    {
        private int pages;
        private int resources;

        public int Pages => Volatile.Read(ref pages);

        public int Resources => Volatile.Read(ref resources);

        public void PageRead(string resourceType, int count)
        {
            Interlocked.Increment(ref pages);
            Interlocked.Add(ref resources, count);
        }
    }
}
