using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.AccessReview;

namespace OnePasswordConnector.Benchmarks;

/// <summary>Latency of the access-review reads over the synced directory, through the real API.</summary>
internal static class QueryBenchmarks
{
    private const int Pages = 50;

    // What a reviewer types to find people in the demo bridge's directory (DemoTeam's names): family names, given
    // names with non-ASCII letters, whole names and parts of email addresses; 50 searches, each for its first page.
    private static readonly string[] Searches =
    [
        "smith", "Olivia", "chen", "o'brien", "Müller", "zoë", "patel", "garcía", "kowalski", "van der", "James Kim", "Ava Nguyen",
        "liam.brown", "sofía", "søren", "okafor", "kaur", "murphy", "Ivan", "haddad", "Łukasz", "siobhán", "dubois", "Yuki Tanaka",
        "mei.wang", "Fischer", "hernández", "Priya Singh", "novák", "andersen", "Chloé", "johansson", "bianchi", "Omar Cohen", "sato",
        "Ingrid", "moreau", "schneider", "arjun.patel", "Nadia Silva", "walsh", "yilmaz", "François", "kelly", "ngozi", "Lars Park",
        "rossi", "aoife", "diego.lopez", "Björn Ivanova",
    ];

    public static async Task RunAsync(ConnectorHost host, string connectionString, Guid connectionId, SizeResult result, TextWriter log)
    {
        using var api = host.Api();
        var connection = $"/api/v1/tenants/bench/connections/{connectionId}";
        var largest = await LargestGroupAsync(connectionString, connectionId);

        await WalkAsync(api, $"{connection}/users?limit=100", 3);
        var background = await BackgroundAsync(connectionString);
        var pauses = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var users = await WalkAsync(api, $"{connection}/users?limit=100", Pages);
        result.UsersPageP50Ms = Percentile(users, 0.50);
        result.UsersPageP95Ms = Percentile(users, 0.95);
        result.Queries["one page (100) of users: median / p95"] = $"{result.UsersPageP50Ms:F1} / {result.UsersPageP95Ms:F1} ms";
        // What else ran while the pages were timed: the process's GC pauses, and PostgreSQL's autovacuum and
        // autoanalyze (counted from pg_stat_user_tables), the two sources of a slow page the benchmark itself causes.
        var paused = (GC.GetTotalPauseDuration() - pauses).TotalMilliseconds;
        var collections = GC.CollectionCount(2) - gen2;
        var vacuums = await BackgroundAsync(connectionString) - background;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{result.Size.Name}] during the users pages: GC paused {paused:F1} ms ({collections} gen2), autovacuum/analyze runs {vacuums}"));

        await SearchAsync(api, connection, 10);
        var searches = await SearchAsync(api, connection, Searches.Length, log);
        result.SearchP50Ms = Percentile(searches, 0.50);
        result.SearchP95Ms = Percentile(searches, 0.95);
        result.Queries[$"users search q (first page), {Searches.Length} terms: median / p95"] = $"{result.SearchP50Ms:F1} / {result.SearchP95Ms:F1} ms";
        await LogPlanAsync(connectionString, connectionId, "q=zoë", AccessReviewSql.UsersMatchingPage, "%zoë%", log, result.Size.Name);
        await LogPlanAsync(connectionString, connectionId, "q=Ivan", AccessReviewSql.UsersMatchingPage, "%Ivan%", log, result.Size.Name);
        await LogPlanAsync(connectionString, connectionId, "CSV sheet", AccessReviewSql.AccessReviewSheetDirect, null, log, result.Size.Name);

        var members = await WalkAsync(api, $"{connection}/groups/{largest.Id}/members?limit=100", Pages);
        result.Queries[$"one page (100) of the largest group's members ({largest.Members:N0}): median / p95"] =
            $"{Percentile(members, 0.50):F1} / {Percentile(members, 0.95):F1} ms";

        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var rows = await CsvLinesAsync(api, $"{connection}/access-review?format=csv") - 1;
        result.CsvSeconds = watch.Elapsed.TotalSeconds;
        result.CsvRows = rows;
        // The service and this client share the process; the client reads into one buffer, so the bytes are the service's.
        var perRow = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)Math.Max(1, rows);
        result.Queries["whole access-review CSV, streamed"] = string.Create(CultureInfo.InvariantCulture,
            $"{result.CsvSeconds:F2} s for {rows:N0} rows, {perRow:F0} bytes allocated per row (service)");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{result.Size.Name}] users page p50 {result.UsersPageP50Ms:F1} ms p95 {result.UsersPageP95Ms:F1} ms; q search p50 {result.SearchP50Ms:F1} ms p95 {result.SearchP95Ms:F1} ms; CSV {rows:N0} rows in {result.CsvSeconds:F2} s, {perRow:F0} bytes allocated per row"));

        await EvidenceAsync(api, connection, result, log);
    }

    /// <summary>
    /// The lines of a streamed CSV (the demo bridge's names hold no line break), counted in the bytes as they arrive, to the
    /// last byte of the response. A client that made a string of each line (StreamReader.ReadLineAsync) allocated about as
    /// much as the service, in the same process.
    /// </summary>
    private static async Task<int> CsvLinesAsync(HttpClient api, string url)
    {
        using var response = await api.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        var lines = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return lines;
    }

    /// <summary>
    /// A review of the synced directory, then its evidence package twice: the first download reads the review's sheet
    /// from PostgreSQL (nothing cached), the second finds it in memory.
    /// </summary>
    private static async Task EvidenceAsync(HttpClient api, string connection, SizeResult result, TextWriter log)
    {
        using var created = await api.PostAsJsonAsync($"{connection}/reviews", new { name = "Benchmark review" });
        created.EnsureSuccessStatusCode();
        var review = created.Headers.Location!.OriginalString;
        var watch = Stopwatch.StartNew();
        var package = await api.GetByteArrayAsync($"{review}/evidence");
        result.EvidenceSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        await api.GetByteArrayAsync($"{review}/evidence");
        var warm = watch.Elapsed.TotalSeconds;
        result.Queries["evidence package of a review (first download / again)"] =
            string.Create(CultureInfo.InvariantCulture, $"{result.EvidenceSeconds:F2} s / {warm:F2} s, {package.Length / 1048576.0:F1} MB zip");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{result.Size.Name}] evidence package {package.Length / 1048576.0:F1} MB in {result.EvidenceSeconds:F2} s (again: {warm:F2} s)"));
    }

    /// <summary>Follows nextCursor for up to <paramref name="pages"/> pages, timing each request and its body.</summary>
    private static async Task<List<double>> WalkAsync(HttpClient api, string firstPage, int pages)
    {
        var timings = new List<double>();
        var url = firstPage;
        for (var i = 0; i < pages && url is not null; i++)
        {
            var watch = Stopwatch.StartNew();
            var page = await api.GetFromJsonAsync<JsonElement>(url);
            timings.Add(watch.Elapsed.TotalMilliseconds);
            var cursor = page.GetProperty("nextCursor").GetString();
            url = cursor is null ? null : $"{firstPage}&cursor={Uri.EscapeDataString(cursor)}";
        }

        return timings;
    }

    /// <summary>Times the first page of <paramref name="count"/> searches, cycling through <see cref="Searches"/>.</summary>
    private static async Task<List<double>> SearchAsync(HttpClient api, string connection, int count, TextWriter? log = null)
    {
        var timings = new List<double>();
        var found = 0;
        for (var i = 0; i < count; i++)
        {
            var url = $"{connection}/users?limit=100&q={Uri.EscapeDataString(Searches[i % Searches.Length])}";
            var watch = Stopwatch.StartNew();
            var page = await api.GetFromJsonAsync<JsonElement>(url);
            timings.Add(watch.Elapsed.TotalMilliseconds);
            found += page.GetProperty("items").GetArrayLength() > 0 ? 1 : 0;
        }

        log?.WriteLine($"{found} of {count} searches found someone");
        return timings;
    }

    /// <summary>
    /// Logs the scans, parallelism and JIT of the plan PostgreSQL picks for one of the service's queries on this data,
    /// as the service sends it (JIT off, a search's session preferring indexes and without parallel workers, shaped for a snapshot without nesting or sign-ins).
    /// </summary>
    private static async Task LogPlanAsync(string connectionString, Guid connectionId, string name, string query, string? q, TextWriter log, string size)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using (var session = new NpgsqlCommand(q is null ? AccessReviewSql.NoJit
            : "SELECT set_config('enable_seqscan', 'off', false), set_config('max_parallel_workers_per_gather', '0', false), " + AccessReviewSql.NoJit[7..], db))
        {
            await session.ExecuteScalarAsync();
        }

        var sql = "EXPLAIN " + AccessReviewSql.Snapshot(asOf: false) + AccessReviewSql.For(query, new SnapshotShape(false, false));
        await using var command = new NpgsqlCommand(sql, db);
        foreach (var (parameter, type, value) in new (string, NpgsqlDbType, object?)[]
        {
            ("c", NpgsqlDbType.Uuid, connectionId), ("t", NpgsqlDbType.TimestampTz, null), ("v", NpgsqlDbType.TimestampTz, null),
            ("synced", NpgsqlDbType.TimestampTz, DateTimeOffset.UtcNow), ("removed", NpgsqlDbType.Boolean, false),
            ("now", NpgsqlDbType.TimestampTz, DateTimeOffset.UtcNow), ("sort_by_name", NpgsqlDbType.Boolean, false),
            ("status", NpgsqlDbType.Text, null), ("group", NpgsqlDbType.Text, null), ("q", NpgsqlDbType.Text, q),
            ("dormant_days", NpgsqlDbType.Integer, null), ("after_key", NpgsqlDbType.Text, null), ("after_id", NpgsqlDbType.Text, null),
            ("limit", NpgsqlDbType.Integer, 101),
        })
        {
            command.Parameters.Add(new NpgsqlParameter(parameter, type) { Value = value ?? DBNull.Value });
        }

        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var line = reader.GetString(0);
            if ((line.Contains("Scan on directory_users", StringComparison.Ordinal) || line.Contains("Gather", StringComparison.Ordinal)
                || line.Contains("ix_directory_users_search", StringComparison.Ordinal)) && !line.Contains("Cond", StringComparison.Ordinal))
            {
                lines.Add(line.Trim().TrimStart('-', '>', ' '));
            }
        }

        log.WriteLine($"[{size}] plan of {name}: {string.Join("; ", lines.Distinct())}");
    }

    private static async Task<long> BackgroundAsync(string connectionString)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COALESCE(sum(autovacuum_count + autoanalyze_count), 0)::bigint FROM pg_stat_user_tables", db);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static async Task<(string Id, int Members)> LargestGroupAsync(string connectionString, Guid connectionId)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT group_id, count(*)::int FROM memberships WHERE connection_id = @c AND removed_at IS NULL
            GROUP BY group_id ORDER BY 2 DESC LIMIT 1
            """, db);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetInt32(1));
    }
}
