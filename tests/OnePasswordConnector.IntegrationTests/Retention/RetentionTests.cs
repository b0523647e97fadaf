using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Retention;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Retention;

/// <summary>
/// History older than <c>Retention:HistoryDays</c> is pruned in small batches, and nothing younger: a point-in-time
/// answer from inside the window is the same before and after.
/// </summary>
public sealed class RetentionTests
{
    private static readonly JsonObject Ada = ScimPayload.User("AAAAAAAAAAAAAAAAAAAAAAAAA1", "ada@example.org", "Ada", "Lovelace");
    private static readonly JsonObject Alan = ScimPayload.User("AAAAAAAAAAAAAAAAAAAAAAAAA2", "alan@example.org", "Alan", "Turing");

    // Each table with the column that dates its rows; a row dated before the cutoff is history the window no longer covers.
    private static readonly (string Table, string Dated)[] Tables =
    [
        ("user_history", "valid_to"), ("group_history", "valid_to"), ("membership_history", "valid_to"),
        ("memberships", "removed_at"), ("directory_users", "removed_at"), ("directory_groups", "removed_at"),
        ("change_events", "occurred_at"), ("provisioning_reports", "recorded_at"), ("sync_runs", "finished_at"),
    ];

    [Fact]
    public async Task Pruning_removes_exactly_the_history_older_than_the_window_and_answers_inside_it_stay_the_same()
    {
        var (app, bridge, id) = await DayFiveAsync(batchSize: 1);
        await using var running = app;
        using var serving = bridge;

        // Day 20: Ada is renamed again.
        app.Time.Advance(TimeSpan.FromDays(15));
        Serve(bridge, [Renamed(Ada, "Augusta Ada King")], ["AAAAAAAAAAAAAAAAAAAAAAAAA1"]);
        await SyncAsync(app, id);

        // Day 40: the 30-day window starts at day 10.
        app.Time.Advance(TimeSpan.FromDays(20));
        var cutoff = app.Time.GetUtcNow().AddDays(-30);
        var older = await CountAsync(app, id, cutoff, before: true);
        var younger = await CountAsync(app, id, cutoff, before: false);
        Assert.True(older["user_history"] == 1 && older["directory_users"] == 1 && older["memberships"] == 1 && older["change_events"] > 0,
            string.Join(", ", older));
        using var api = app.ClientWithKey(ConnectorApp.AdminKey);
        var asOf = Uri.EscapeDataString(cutoff.AddDays(5).ToString("O", CultureInfo.InvariantCulture));
        var users = $"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}/users?asOf={asOf}";
        var response = await api.GetAsync(users);
        var answerBefore = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, answerBefore);

        var deleted = await app.Services.GetRequiredService<RetentionSweeper>().PruneAsync(CancellationToken.None);

        var remaining = await CountAsync(app, id, cutoff, before: true);
        Assert.Equal(younger, await CountAsync(app, id, cutoff, before: false));
        // Of what is older, only the last succeeded run before the window stays: answers inside the window start from it.
        Assert.All(Tables, t => Assert.Equal(t.Table == "sync_runs" ? 1 : 0, remaining[t.Table]));
        Assert.Equal(older.ToDictionary(o => o.Key, o => o.Value - remaining[o.Key]), deleted.ToDictionary(d => d.Key, d => d.Value));
        Assert.Equal(answerBefore, await api.GetStringAsync(users));
        Assert.Contains("\"Ada King\"", answerBefore, StringComparison.Ordinal);

        // A second sweep finds nothing left to do.
        Assert.All((await app.Services.GetRequiredService<RetentionSweeper>().PruneAsync(CancellationToken.None)).Values, n => Assert.Equal(0, n));
    }

    [Fact]
    public async Task A_review_keeps_the_history_it_answers_from_and_a_live_asOf_before_the_window_is_refused()
    {
        var (app, bridge, id) = await DayFiveAsync(batchSize: 2);
        await using var running = app;
        using var serving = bridge;
        using var api = app.ClientWithKey(ConnectorApp.AdminKey);
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}/reviews", new { name = "Day 5" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var review = created.Headers.Location!.OriginalString;
        // Day 7: renamed again, so the day-5 name ended before the window that will start at day 10.
        app.Time.Advance(TimeSpan.FromDays(2));
        Serve(bridge, [Renamed(Ada, "Augusta Ada King")], ["AAAAAAAAAAAAAAAAAAAAAAAAA1"]);
        await SyncAsync(app, id);
        var reviewed = await api.GetStringAsync($"{review}/users");
        var sheet = await api.GetStringAsync($"{review}/access-review");

        // Day 40: the window starts at day 10, but the review answers as of day 5.
        app.Time.Advance(TimeSpan.FromDays(33));
        var deleted = await app.Services.GetRequiredService<RetentionSweeper>().PruneAsync(CancellationToken.None);

        Assert.True(deleted["provisioning_reports"] > 0, "what is older than the review goes");
        Assert.Equal(reviewed, await api.GetStringAsync($"{review}/users"));
        Assert.Equal(sheet, await api.GetStringAsync($"{review}/access-review"));
        Assert.Contains("\"Ada King\"", reviewed, StringComparison.Ordinal);
        var before = Uri.EscapeDataString(app.Time.GetUtcNow().AddDays(-33).ToString("O", CultureInfo.InvariantCulture));
        var refused = await api.GetAsync($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}/users?asOf={before}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("is no longer kept (Retention:HistoryDays)", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>A 30-day window; a first sync on day 0 of Ada and Alan, both in Engineering; on day 5 Ada is renamed and Alan leaves.</summary>
    private static async Task<(SchedulerApp App, FakeBridge Bridge, Guid Id)> DayFiveAsync(int batchSize)
    {
        var app = await SchedulerApp.StartAsync(settings:
            [new("Retention:HistoryDays", "30"), new("Retention:BatchSize", batchSize.ToString(CultureInfo.InvariantCulture)), new("Retention:Enabled", "false")]);
        var bridge = FakeBridge.Healthy([Ada, Alan], [ScimPayload.Group("GAAAAAAAAAAAAAAAAAAAAAAAA1", "Engineering", "AAAAAAAAAAAAAAAAAAAAAAAAA1", "AAAAAAAAAAAAAAAAAAAAAAAAA2")]);
        var id = await app.RegisterAsync(bridge);
        await SyncAsync(app, id);
        app.Time.Advance(TimeSpan.FromDays(5));
        Serve(bridge, [Renamed(Ada, "Ada King")], ["AAAAAAAAAAAAAAAAAAAAAAAAA1"]);
        await SyncAsync(app, id);
        return (app, bridge, id);
    }

    private static JsonObject Renamed(JsonObject user, string displayName)
    {
        var renamed = user.DeepClone().AsObject();
        renamed["displayName"] = displayName;
        return renamed;
    }

    private static void Serve(FakeBridge bridge, JsonObject[] users, string[] members)
    {
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServeList("Users", users);
        bridge.ServeList("Groups", [ScimPayload.Group("GAAAAAAAAAAAAAAAAAAAAAAAA1", "Engineering", members)]);
        bridge.RejectOtherTokens();
    }

    private static async Task SyncAsync(SchedulerApp app, Guid id)
    {
        Assert.NotNull(await app.Coordinator.TryStartAsync(id, SyncTrigger.Manual, CancellationToken.None));
        await app.Coordinator.WhenIdleAsync();
        Assert.Equal(["succeeded"], await app.QueryAsync("SELECT status FROM sync_runs WHERE connection_id = @c ORDER BY started_at DESC LIMIT 1", id));
    }

    /// <summary>Rows of each table dated before (or not before) the cutoff.</summary>
    private static async Task<Dictionary<string, long>> CountAsync(SchedulerApp app, Guid id, DateTimeOffset cutoff, bool before)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var at = cutoff.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        foreach (var (table, dated) in Tables)
        {
            var condition = before ? $"{dated} < '{at}+00'" : $"({dated} IS NULL OR {dated} >= '{at}+00')";
            counts[table] = long.Parse((await app.QueryAsync($"SELECT count(*) FROM {table} WHERE connection_id = @c AND {condition}", id)).Single(), CultureInfo.InvariantCulture);
        }

        return counts;
    }
}
