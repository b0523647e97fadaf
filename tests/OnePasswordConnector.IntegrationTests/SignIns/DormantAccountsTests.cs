using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.SignIns;

/// <summary>
/// 1,000 users with fake sign-ins: some never signed in, some only failed, some last signed in 200 days ago (the
/// Events API is faked, so it may answer beyond its 120 days), some recently. Every figure is checked user by user.
/// </summary>
public sealed class DormantAccountsTests(SignInApp app) : IClassFixture<SignInApp>
{
    private const int Users = 1000;

    // Whole seconds: the Events API's timestamps carry no fraction.
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private static string Id(int i) => $"U{i:D25}";

    private static string Email(int i) => $"user{i:D4}@example.org";

    /// <summary>What user i did: by i % 6, never signed in, only failed (three MFA failures for every other one), last signed in 200 days ago, 10 days ago, 95 days ago, or 40 days ago.</summary>
    private static (DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure, string? FailureCategory, int Recent, int MfaFailures) Expected(int i) => (i % 6) switch
    {
        0 => (null, null, null, 0, 0),
        1 => (null, Now.AddDays(-2), i % 12 == 1 ? "mfa_failed" : "credentials_failed", 0, i % 12 == 1 ? 3 : 0),
        2 => (Now.AddDays(-200), null, null, 0, 0),
        3 => (Now.AddDays(-10), Now.AddDays(-11), "sso_failed", 2, 0),
        4 => (Now.AddDays(-95), null, null, 0, 0),
        _ => (Now.AddDays(-40), null, null, 0, 0),
    };

    private static IEnumerable<JsonObject> Attempts(int i)
    {
        JsonObject At(string suffix, DateTimeOffset when, string category) => FakeEventsApi.Attempt($"E{i:D4}{suffix}", when, category, Id(i), Email(i));
        switch (i % 6)
        {
            case 1 when i % 12 == 1:
                yield return At("a", Now.AddDays(-4), "mfa_failed");
                yield return At("b", Now.AddDays(-3), "mfa_failed");
                yield return At("c", Now.AddDays(-2), "mfa_failed");
                break;
            case 1:
                yield return At("a", Now.AddDays(-2), "credentials_failed");
                break;
            case 2:
                yield return At("a", Now.AddDays(-200), "success");
                break;
            case 3:
                yield return At("a", Now.AddDays(-100), "success");
                yield return At("b", Now.AddDays(-20), "success");
                yield return At("c", Now.AddDays(-11), "sso_failed");
                yield return At("d", Now.AddDays(-10), "success");
                yield return At("e", Now.AddDays(-9), "firewall_reported_success");
                break;
            case 4:
                yield return At("a", Now.AddDays(-95), "success");
                break;
            case 5:
                yield return At("a", Now.AddDays(-40), "success");
                break;
        }
    }

    /// <summary>Every 50th user is deactivated: never dormant, whatever their sign-ins.</summary>
    private static bool Active(int i) => i % 50 != 0;

    [Fact]
    public async Task DormantDays_lastSignInAt_and_the_summary_are_exact_for_1000_users()
    {
        var users = Enumerable.Range(1, Users).Select(i => ScimPayload.User(Id(i), Email(i), "User", i.ToString("D4", CultureInfo.InvariantCulture), Active(i))).ToArray();
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServePaged("Users", users, 100);
        bridge.ServeList("Groups", [ScimPayload.Group("G1", "Everyone", [.. users.Take(10).Select(u => u["id"]!.GetValue<string>())])]);
        bridge.RejectOtherTokens();
        using var events = FakeEventsApi.Healthy();
        var attempts = Enumerable.Range(1, Users).SelectMany(Attempts).OrderBy(a => a["timestamp"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        var last = events.ServeAll(attempts, pageSize: 500);
        var connectionId = await app.RegisterAsync(bridge);
        var first = await app.SyncAndCollectAsync(connectionId);
        await app.UseEventsAsync(connectionId, events);
        var collected = await app.SyncAndCollectAsync(connectionId);
        Assert.Empty(SignInApp.Warnings(collected));

        var c = $"/api/v1/tenants/{ConnectorApp.Acme}/connections/{connectionId}";
        var all = await app.GetJsonAsync($"{c}/users?limit=1000");
        var listed = all.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(Users, listed.Count);
        foreach (var user in listed)
        {
            var i = int.Parse(user.GetProperty("id").GetString()![1..], CultureInfo.InvariantCulture);
            var expected = Expected(i);
            var signIns = user.GetProperty("signIns");
            Assert.True(Instant(signIns, "lastSignInAt") == expected.LastSuccess, $"user {i}: {signIns}");
            Assert.True(Instant(signIns, "lastFailedSignInAt") == expected.LastFailure, $"user {i}: {signIns}");
            Assert.Equal(expected.FailureCategory, signIns.GetProperty("lastFailedSignInCategory").GetString());
            Assert.Equal(expected.Recent, signIns.GetProperty("signInsLast30Days").GetInt32());
            Assert.Equal(expected.MfaFailures, signIns.GetProperty("mfaFailuresLast30Days").GetInt32());
            Assert.InRange(signIns.GetProperty("signInsKnownSince").GetDateTimeOffset(), Now.AddDays(-120).AddMinutes(-5), Now.AddDays(-120).AddMinutes(5));
        }

        // Dormant for 90 days: active, and no success in 90 days (never, only failures, 200 and 95 days ago).
        var dormant90 = Enumerable.Range(1, Users).Where(i => Active(i) && i % 6 is 0 or 1 or 2 or 4).Select(Id).ToList();
        Assert.Equal(dormant90, await IdsAsync($"{c}/users?dormantDays=90&limit=1000"));
        var dormant30 = Enumerable.Range(1, Users).Where(i => Active(i) && i % 6 is not 3).Select(Id).ToList();
        Assert.Equal(dormant30, await IdsAsync($"{c}/users?dormantDays=30&limit=1000"));
        // Sign-ins are known 120 days back: nobody can be shown dormant for 200 days.
        Assert.Empty(await IdsAsync($"{c}/users?dormantDays=200&limit=1000"));

        var summary = (await app.GetJsonAsync($"{c}/summary")).GetProperty("signIns");
        Assert.Equal(90, summary.GetProperty("dormantDays").GetInt32());
        Assert.Equal(dormant90.Count, summary.GetProperty("dormantUsers").GetInt32());
        Assert.Equal(Enumerable.Range(1, Users).Count(i => i % 12 == 1), summary.GetProperty("usersWithRepeatedMfaFailures").GetInt32());
        Assert.Equal(dormant30.Count, (await app.GetJsonAsync($"{c}/summary?dormantDays=30")).GetProperty("signIns").GetProperty("dormantUsers").GetInt32());

        // The sheet and its CSV carry the columns; a user who never signed in has known sign-ins and an empty lastSignInAt.
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var csv = (await client.GetStringAsync($"{c}/access-review?format=csv")).Split("\r\n");
        Assert.EndsWith(",lastSignInAt,lastFailedSignInAt,lastFailedSignInCategory,signInsLast30Days,mfaFailuresLast30Days,signInsKnownSince", csv[0], StringComparison.Ordinal);
        var user3 = csv.Single(l => l.StartsWith(Id(3) + ",", StringComparison.Ordinal)).Split(',');
        Assert.Equal(Expected(3).LastSuccess!.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'.000000Z'", CultureInfo.InvariantCulture), user3[^6]);
        Assert.Equal(["sso_failed", "2", "0"], user3[^4..^1]);
        var user6 = csv.Single(l => l.StartsWith(Id(6) + ",", StringComparison.Ordinal)).Split(',');
        Assert.Equal(["", "", "", "0", "0"], user6[^6..^1]);
        Assert.NotEqual("", user6[^1]);
        var sheet = await app.GetJsonAsync($"{c}/access-review?limit=1000");
        Assert.All(sheet.GetProperty("items").EnumerateArray(), row => Assert.Equal(JsonValueKind.Object, row.GetProperty("signIns").ValueKind));

        // asOf the sync before collection began, sign-ins were not known; after a later sign-in the earlier sync still answers as it stood.
        var beforeCollection = first.GetProperty("finishedAt").GetDateTimeOffset().ToString("O", CultureInfo.InvariantCulture);
        var then = await app.GetJsonAsync($"{c}/users?limit=1&asOf={Uri.EscapeDataString(beforeCollection)}");
        Assert.Equal(JsonValueKind.Null, then.GetProperty("items")[0].GetProperty("signIns").ValueKind);
        events.ServePageAfter(last, FakeEventsApi.Page("later", false, [FakeEventsApi.Attempt("LATE6", Now.AddMinutes(-1), "success", Id(6), Email(6))]), priority: 10);
        await app.SyncAndCollectAsync(connectionId);
        var collectedAt = collected.GetProperty("finishedAt").GetDateTimeOffset().ToString("O", CultureInfo.InvariantCulture);
        Assert.Contains(Id(6), await IdsAsync($"{c}/users?dormantDays=90&limit=1000&asOf={Uri.EscapeDataString(collectedAt)}"));
        Assert.DoesNotContain(Id(6), await IdsAsync($"{c}/users?dormantDays=90&limit=1000"));
    }

    private static DateTimeOffset? Instant(JsonElement element, string name) =>
        element.GetProperty(name).ValueKind == JsonValueKind.Null ? null : element.GetProperty(name).GetDateTimeOffset();

    private async Task<List<string>> IdsAsync(string url)
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var page = await client.GetFromJsonAsync<JsonElement>(url);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
        return page.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();
    }
}
