using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.SignIns;

/// <summary>Each sync of a connection with an events token reads the sign-in attempts after its saved cursor.</summary>
public sealed class SignInCollectionTests(SignInApp app) : IClassFixture<SignInApp>
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static JsonObject[] Team() =>
    [
        ScimPayload.User("U0000000000000000000000001", "ada@example.org", "Ada", "Lovelace"),
        ScimPayload.User("U0000000000000000000000002", "grace@example.org", "Grace", "Hopper"),
    ];

    private static JsonObject Ada(string uuid, int daysAgo, string category = "success") =>
        FakeEventsApi.Attempt(uuid, Now.AddDays(-daysAgo), category, "U0000000000000000000000001", "ada@example.org");

    private async Task<Guid> ConnectAsync(FakeBridge bridge, FakeEventsApi events)
    {
        var connectionId = await app.RegisterAsync(bridge);
        await app.UseEventsAsync(connectionId, events);
        return connectionId;
    }

    private Task<List<string>> StoredAsync(Guid connectionId) =>
        app.QueryAsync("SELECT uuid || ':' || COALESCE(user_scim_id, '-') FROM sign_in_attempts WHERE connection_id = @c ORDER BY uuid", connectionId);

    [Fact]
    public async Task First_sync_reads_120_days_back_up_to_has_more_false_and_the_next_reads_only_after_the_saved_cursor()
    {
        using var bridge = FakeBridge.Healthy(Team());
        using var events = FakeEventsApi.Healthy();
        var last = events.ServeAll([Ada("A1", 50), Ada("A2", 40), Ada("A3", 30), Ada("A4", 20), Ada("A5", 10)], pageSize: 2);
        var connectionId = await ConnectAsync(bridge, events);

        var first = await app.SyncAndCollectAsync(connectionId);

        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Empty(SignInApp.Warnings(first));
        Assert.Equal(["reset", "c1", "c2"], events.SignInRequests());
        Assert.InRange(events.FirstStartTime(), Now.AddDays(-120).AddMinutes(-5), Now.AddDays(-120).AddMinutes(5));
        Assert.Equal(5, (await StoredAsync(connectionId)).Count);

        events.ServePageAfter(last, FakeEventsApi.Page("c4", false, [Ada("A6", 1)]), priority: 10);
        events.Server.ResetLogEntries();
        var second = await app.SyncAndCollectAsync(connectionId);

        Assert.Equal("succeeded", second.GetProperty("status").GetString());
        Assert.Equal([last], events.SignInRequests());
        Assert.Equal(["A1", "A2", "A3", "A4", "A5", "A6"], (await StoredAsync(connectionId)).Select(s => s.Split(':')[0]));
        var token = await app.GetJsonAsync(SignInApp.EventsTokenPath(connectionId));
        Assert.True(token.GetProperty("signInsKnownSince").GetDateTimeOffset() < Now.AddDays(-119));
    }

    [Fact]
    public async Task The_evidence_package_of_a_review_lists_each_users_sign_ins_as_of_its_pinned_run()
    {
        using var bridge = FakeBridge.Healthy(Team());
        using var events = FakeEventsApi.Healthy();
        events.ServeAll([Ada("E1", 3), Ada("E2", 2, "mfa_failed")], pageSize: 10);
        var connectionId = await ConnectAsync(bridge, events);
        await app.SyncAndCollectAsync(connectionId);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var review = await Evidence.EvidencePackages.CreateReviewAsync(client, connectionId, "With sign-ins");

        var users = System.Text.Encoding.UTF8.GetString(Evidence.EvidencePackages.Entries(await Evidence.EvidencePackages.DownloadAsync(client, review))["users.csv"])
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.EndsWith(",lastSignInAt,lastFailedSignInAt,lastFailedSignInCategory,signInsLast30Days,mfaFailuresLast30Days,signInsKnownSince", users[0], StringComparison.Ordinal);
        var ada = users.Single(u => u.StartsWith("U0000000000000000000000001,", StringComparison.Ordinal)).Split(',');
        var grace = users.Single(u => u.StartsWith("U0000000000000000000000002,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(["mfa_failed", "1", "1"], ada[^4..^1]);
        Assert.StartsWith(Now.AddDays(-3).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), ada[^6], StringComparison.Ordinal);
        Assert.Equal(["", "", "", "0", "0"], grace[^6..^1]);
        Assert.NotEqual("", grace[^1]);
        var sheet = await app.GetJsonAsync($"{review}/access-review");
        var adaRow = sheet.GetProperty("items").EnumerateArray().First(r => r.GetProperty("userId").GetString() == "U0000000000000000000000001");
        Assert.Equal("mfa_failed", adaRow.GetProperty("signIns").GetProperty("lastFailedSignInCategory").GetString());
    }

    [Theory]
    [InlineData(500, "server_error")]
    [InlineData(429, "rate_limited")]
    public async Task An_events_api_failing_the_whole_run_leaves_the_sync_succeeded_with_a_warning_and_the_next_sync_resumes_at_the_same_cursor(
        int status, string failure)
    {
        using var bridge = FakeBridge.Healthy(Team());
        using var events = FakeEventsApi.Healthy();
        var last = events.ServeAll([Ada("B1", 30), Ada("B2", 20), Ada("B3", 10)], pageSize: 2);
        var connectionId = await ConnectAsync(bridge, events);
        await app.SyncAndCollectAsync(connectionId);
        events.ServePageAfter(last, FakeEventsApi.Page("c9", false, [Ada("B4", 2), Ada("B5", 1)]), priority: 10);

        var outage = Guid.NewGuid();
        var answer = FakeEventsApi.Error(status, status == 429 ? "Too many requests" : "Internal error");
        events.AnySignIns(priority: 1).WithGuid(outage).RespondWith(status == 429 ? answer.WithHeader("Retry-After", "1") : answer);
        events.Server.ResetLogEntries();
        var failed = await app.SyncAndCollectAsync(connectionId);

        Assert.Equal("succeeded", failed.GetProperty("status").GetString());
        var warning = Assert.Single(failed.GetProperty("warnings").EnumerateArray());
        Assert.Equal("sign_ins_incomplete", warning.GetProperty("kind").GetString());
        Assert.Equal(failure, warning.GetProperty("value").GetString());
        Assert.Contains($"with {status}", warning.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(Enumerable.Repeat(last, 3), events.SignInRequests()); // one attempt and Scim:Retries (2) retries
        Assert.Equal(3, (await StoredAsync(connectionId)).Count);
        Assert.Contains($"with {status}", (await app.GetJsonAsync(SignInApp.EventsTokenPath(connectionId))).GetProperty("lastError").GetString(), StringComparison.Ordinal);

        events.Server.DeleteMapping(outage);
        events.Server.ResetLogEntries();
        var recovered = await app.SyncAndCollectAsync(connectionId);

        Assert.Empty(SignInApp.Warnings(recovered));
        Assert.Equal([last], events.SignInRequests());
        Assert.Equal(["B1", "B2", "B3", "B4", "B5"], (await StoredAsync(connectionId)).Select(s => s.Split(':')[0]));
        Assert.Equal(JsonValueKindNull, (await app.GetJsonAsync(SignInApp.EventsTokenPath(connectionId))).GetProperty("lastError").ValueKind);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_and_the_collection_completes()
    {
        using var bridge = FakeBridge.Healthy(Team());
        using var events = FakeEventsApi.Healthy();
        events.ServeAll([Ada("R1", 3)], pageSize: 10);
        events.AnySignIns(priority: 1).InScenario("limit").WillSetStateTo("waited")
            .RespondWith(FakeEventsApi.Error(429, "Too many requests").WithHeader("Retry-After", "1"));
        var connectionId = await ConnectAsync(bridge, events);

        var run = await app.SyncAndCollectAsync(connectionId);

        Assert.Empty(SignInApp.Warnings(run));
        var requests = events.Server.LogEntries.Where(e => e.RequestMessage.Path == FakeEventsApi.SignInPath).OrderBy(e => e.RequestMessage.DateTime).ToList();
        Assert.Equal([429, 200], requests.Select(e => (int)e.ResponseMessage.StatusCode!));
        Assert.True(requests[1].RequestMessage.DateTime - requests[0].RequestMessage.DateTime >= TimeSpan.FromMilliseconds(900),
            "The retry did not wait for Retry-After");
        Assert.Equal(["R1:U0000000000000000000000001"], await StoredAsync(connectionId));
    }

    [Fact]
    public async Task An_expired_events_token_is_a_warning_on_a_succeeded_sync()
    {
        using var bridge = FakeBridge.Healthy(Team());
        using var events = FakeEventsApi.Healthy();
        var connectionId = await ConnectAsync(bridge, events);
        events.AnySignIns(priority: 1).RespondWith(FakeEventsApi.Error(401, "Unauthorized"));

        var run = await app.SyncAndCollectAsync(connectionId);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(["sign_ins_incomplete:unauthorized"], SignInApp.Warnings(run));
        Assert.Contains("token was rejected", run.GetProperty("warnings")[0].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, (await app.CurrentUsersAsync(connectionId)).Count);
    }

    [Fact]
    public async Task Attempts_match_users_by_uuid_else_by_email_and_the_unmatched_are_counted_on_the_run()
    {
        using var bridge = FakeBridge.Healthy(Team());
        using var events = FakeEventsApi.Healthy();
        events.ServeAll(
        [
            Ada("M1", 5),
            FakeEventsApi.Attempt("M2", Now.AddDays(-4), "success", "GRACEUUIDNOTTHESCIMID00000", "Grace@Example.ORG"),
            FakeEventsApi.Attempt("M3", Now.AddDays(-3), "success", "STRANGERAAAAAAAAAAAAAAAAAA", "stranger@example.org"),
        ], pageSize: 10);
        var connectionId = await ConnectAsync(bridge, events);

        var run = await app.SyncAndCollectAsync(connectionId);

        Assert.Equal(["sign_ins_unmatched:1"], SignInApp.Warnings(run));
        Assert.Equal(1, run.GetProperty("warningCount").GetInt32());
        Assert.Equal(["M1:U0000000000000000000000001", "M2:U0000000000000000000000002", "M3:-"], await StoredAsync(connectionId));
    }

    [Fact]
    public async Task Attempts_older_than_the_retention_period_are_deleted()
    {
        using var bridge = FakeBridge.Healthy(Team());
        using var events = FakeEventsApi.Healthy();
        var last = events.ServeAll([Ada("O1", 10)], pageSize: 10);
        var connectionId = await ConnectAsync(bridge, events);
        await app.SyncAndCollectAsync(connectionId);
        await app.QueryAsync("UPDATE sign_in_attempts SET occurred_at = now() - interval '401 days' WHERE connection_id = @c RETURNING uuid", connectionId);

        await app.SyncAndCollectAsync(connectionId);

        Assert.Empty(await StoredAsync(connectionId));
        Assert.Equal([last], events.SignInRequests().Skip(1));
    }
}
