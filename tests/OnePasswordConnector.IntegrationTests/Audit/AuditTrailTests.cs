using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.Audit;

public sealed class AuditTrailTests(SyncApp app) : IClassFixture<SyncApp>
{
    private const string Log = "/api/v1/tenants/acme/audit-log";

    [Fact]
    public async Task Every_state_changing_call_and_download_of_the_acceptance_run_is_recorded_with_key_target_outcome_and_trace_and_no_secret()
    {
        using var bridge = Bridge([Ada()], [Owners(AdaId)]);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        using var tenantKey = app.ClientWithKey(ConnectorApp.AcmeKey);
        var id = await app.RegisterAsync(bridge);
        var c = $"/api/v1/tenants/acme/connections/{id}";
        var calls = new List<(string Action, HttpResponseMessage Response)>
        {
            ("RotateConnectionToken", await client.PutAsJsonAsync($"{c}/token", new { bearerToken = bridge.Token })),
            ("UpdateConnection", await client.PatchAsJsonAsync(c, new { name = "Renamed" })),
        };
        var run = await app.SyncAsync(id);
        calls.Add(("CancelSync", await client.PostAsync($"{c}/syncs/{run.GetProperty("id").GetGuid()}/cancel", null)));
        var review = await tenantKey.PostAsJsonAsync($"{c}/reviews", new { name = "Audited" });
        calls.Add(("CreateReview", review));
        var reviewPath = review.Headers.Location!.OriginalString;
        calls.Add(("DownloadEvidence", await tenantKey.GetAsync($"{reviewPath}/evidence")));
        calls.Add(("DeleteReview", await tenantKey.DeleteAsync(reviewPath)));
        calls.Add(("DeleteReview", await client.DeleteAsync(reviewPath)));
        calls.Add(("DeleteConnection", await client.DeleteAsync(c)));
        using var other = app.ClientWithKey(ConnectorApp.GlobexKey);
        await other.PostAsJsonAsync("/api/v1/tenants/acme/connections", new { name = "x" });

        var entries = await AllAsync(client, Log);

        var mine = entries.Where(e => e.GetProperty("target").GetString()!.StartsWith(c, StringComparison.Ordinal)).Reverse().ToList();
        Assert.Equal(
            ["CreateConnection", "RotateConnectionToken", "UpdateConnection", "StartSync", "CancelSync", "CreateReview", "DownloadEvidence", "DeleteReview", "DeleteReview", "DeleteConnection"],
            mine.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(["succeeded", "succeeded", "succeeded", "succeeded", "refused", "succeeded", "succeeded", "refused", "succeeded", "succeeded"],
            mine.Select(e => e.GetProperty("outcome").GetString()));
        Assert.Equal(["platform", "platform", "platform", "platform", "platform", "acme-admin", "acme-admin", "acme-admin", "platform", "platform"],
            mine.Select(e => e.GetProperty("keyName").GetString()));
        Assert.Equal(c, mine[0].GetProperty("target").GetString());
        Assert.Equal(reviewPath, mine[5].GetProperty("target").GetString());
        Assert.Equal(403, mine[7].GetProperty("status").GetInt32());
        Assert.All(mine, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("traceId").GetString())));
        Assert.All(mine, e => Assert.Equal("acme", e.GetProperty("tenantId").GetString()));
        Assert.DoesNotContain(entries, e => e.GetProperty("keyName").GetString() == "globex-admin");
        foreach (var (action, response) in calls)
        {
            Assert.True((int)response.StatusCode < 500, $"{action}: {(int)response.StatusCode}");
        }

        var stored = await app.QueryAsync("SELECT row_to_json(a)::text FROM audit_log a", Guid.Empty);
        Assert.Empty(SecretScan.Find(stored, "the audit_log table"));
        Assert.DoesNotContain(stored, row => row.Contains(bridge.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_audit_log_filters_by_action_and_time_and_pages_newest_first()
    {
        using var bridge = Bridge([Ada()], []);
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        var id = await app.RegisterAsync(bridge);
        for (var i = 0; i < 3; i++)
        {
            await app.SyncAsync(id);
        }

        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var since = Uri.EscapeDataString(started.ToString("O"));

        var syncs = await AllAsync(client, $"{Log}?action=StartSync&since={since}", limit: 2);
        var none = await ReviewDirectory_GetAsync(client, $"{Log}?action=StartSync&until={Uri.EscapeDataString(started.ToString("O"))}&since={Uri.EscapeDataString(started.AddDays(-1).ToString("O"))}");
        var bad = await client.GetAsync($"{Log}?since=yesterday&cursor=nope");

        Assert.True(syncs.Count >= 3);
        Assert.All(syncs, e => Assert.Equal("StartSync", e.GetProperty("action").GetString()));
        var ids = syncs.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Empty(none.GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("since", out _) && errors.TryGetProperty("cursor", out _));
    }

    [Theory]
    [InlineData("UPDATE audit_log SET outcome = 'succeeded'")]
    [InlineData("DELETE FROM audit_log")]
    [InlineData("TRUNCATE audit_log")]
    public async Task The_database_refuses_to_change_or_remove_audit_entries(string statement)
    {
        using var bridge = Bridge([Ada()], []);
        await app.RegisterAsync(bridge);
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(statement, connection);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReviewDirectory_GetAsync(HttpClient client, string url) => await GetJsonAsync(client, url);

    private static async Task<List<JsonElement>> AllAsync(HttpClient client, string url, int limit = 1000) => await GetAllPagesAsync(client, url, limit);
}
