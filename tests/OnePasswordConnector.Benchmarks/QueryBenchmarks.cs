using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace OnePasswordConnector.Benchmarks;

/// <summary>Latency of the access-review reads over the synced directory, through the real API.</summary>
internal static class QueryBenchmarks
{
    private const int Pages = 50;

    public static async Task RunAsync(ConnectorHost host, string connectionString, Guid connectionId, SizeResult result, TextWriter log)
    {
        using var api = host.Api();
        var connection = $"/api/v1/tenants/bench/connections/{connectionId}";
        var largest = await LargestGroupAsync(connectionString, connectionId);

        await WalkAsync(api, $"{connection}/users?limit=100", 3);
        var users = await WalkAsync(api, $"{connection}/users?limit=100", Pages);
        result.UsersPageP50Ms = Percentile(users, 0.50);
        result.UsersPageP95Ms = Percentile(users, 0.95);
        result.Queries["one page (100) of users: median / p95"] = $"{result.UsersPageP50Ms:F1} / {result.UsersPageP95Ms:F1} ms";

        var members = await WalkAsync(api, $"{connection}/groups/{largest.Id}/members?limit=100", Pages);
        result.Queries[$"one page (100) of the largest group's members ({largest.Members:N0}): median / p95"] =
            $"{Percentile(members, 0.50):F1} / {Percentile(members, 0.95):F1} ms";

        var watch = Stopwatch.StartNew();
        using var response = await api.GetAsync($"{connection}/access-review?format=csv", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var rows = -1;
        while (await reader.ReadLineAsync() is not null)
        {
            rows++;
        }

        result.CsvSeconds = watch.Elapsed.TotalSeconds;
        result.CsvRows = rows;
        result.Queries["whole access-review CSV, streamed"] = $"{result.CsvSeconds:F2} s for {rows:N0} rows";
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{result.Size.Name}] users page p50 {result.UsersPageP50Ms:F1} ms p95 {result.UsersPageP95Ms:F1} ms; CSV {rows:N0} rows in {result.CsvSeconds:F2} s"));

        await EvidenceAsync(api, connection, result, log);
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
