using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>The sync run list validates its limit like every other list; a failed run's error speaks the admin's language.</summary>
public sealed class SyncRunListAndErrorTests(SyncApp app) : IClassFixture<SyncApp>
{
    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("2147483647")]
    public async Task Sync_run_list_rejects_a_limit_outside_1_to_1000_with_a_problem_naming_limit(string limit)
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var response = await client.GetAsync($"/api/v1/tenants/acme/connections/{id}/syncs?limit={limit}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("1000", problem.GetProperty("errors").GetProperty("limit")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1000", 2)]
    [InlineData(null, 2)]
    public async Task Sync_run_list_returns_at_most_limit_runs_newest_first(string? limit, int expected)
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        var first = (await app.SyncAsync(id)).GetProperty("id").GetGuid();
        var second = (await app.SyncAsync(id)).GetProperty("id").GetGuid();
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var runs = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}/syncs" + (limit is null ? "" : $"?limit={limit}"));

        Assert.Equal(new[] { second, first }.Take(expected), runs.EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task The_openapi_document_gives_the_sync_run_list_limit_its_range()
    {
        using var client = app.ClientWithKey(null);
        var document = await client.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");

        var list = document.GetProperty("paths").GetProperty("/api/v1/tenants/{tenantId}/connections/{connectionId}/syncs").GetProperty("get");
        var limit = list.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "limit");
        Assert.Contains("1 to 1000", limit.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(list.GetProperty("responses").TryGetProperty("400", out _), "The 400 answer is not documented");
    }

    [Fact]
    public async Task A_run_the_database_failed_says_what_happened_in_plain_words_and_logs_the_database_error_with_the_run_id()
    {
        using var bridge = FakeBridge.Healthy();
        var id = await app.RegisterAsync(bridge);
        await app.QueryAsync($"""
            CREATE FUNCTION refuse_{id:N}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION USING ERRCODE = '22021', MESSAGE = 'invalid byte sequence for encoding "UTF8": 0x00';
            END $$;
            CREATE TRIGGER refuse_{id:N} BEFORE INSERT ON directory_users FOR EACH ROW
                WHEN (NEW.connection_id = '{id}') EXECUTE FUNCTION refuse_{id:N}();
            """, id);

        var run = await app.SyncAsync(id);

        Assert.Equal("failed", run.GetProperty("status").GetString());
        var error = run.GetProperty("error").GetString()!;
        Assert.DoesNotContain("22021", error, StringComparison.Ordinal);
        Assert.DoesNotContain("invalid byte sequence", error, StringComparison.Ordinal);
        Assert.Contains("database", error, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", error, StringComparison.Ordinal);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var connection = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/acme/connections/{id}");
        Assert.Equal(error, connection.GetProperty("lastError").GetString());
        var runId = run.GetProperty("id").GetGuid().ToString();
        Assert.Contains(app.Logs.Lines, l => l.Contains(runId, StringComparison.Ordinal) && l.Contains("22021", StringComparison.Ordinal));
    }
}
