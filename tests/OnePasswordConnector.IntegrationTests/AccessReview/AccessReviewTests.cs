using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.IntegrationTests.Connections;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

public sealed class AccessReviewTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static string Base(Guid id, string tenant = ConnectorApp.Acme) => $"/api/v1/tenants/{tenant}/connections/{id}";

    private static DateTimeOffset FinishedAt(JsonElement run) => run.GetProperty("finishedAt").GetDateTimeOffset();

    /// <summary>A sync stamps every row it writes, and every change it records, with the instant it started.</summary>
    private static DateTimeOffset StartedAt(JsonElement run) => run.GetProperty("startedAt").GetDateTimeOffset();

    /// <summary>
    /// Syncs an empty directory first: the first sync of a connection is its baseline and records no change events,
    /// so a test about change events starts from an empty baseline and lets the next syncs make the changes.
    /// </summary>
    private async Task<Guid> RegisterWithEmptyBaselineAsync(FakeBridge bridge, JsonObject[] users, JsonObject[] groups)
    {
        Reserve(bridge, [], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        Reserve(bridge, users, groups);
        return id;
    }

    private static string Iso(DateTimeOffset instant) => Uri.EscapeDataString(instant.ToString("O", CultureInfo.InvariantCulture));

    private static string[] GroupNames(JsonElement user) =>
        user.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("displayName").GetString()!).ToArray();

    [Fact]
    public async Task Users_lists_current_users_by_userName_with_their_groups_status_and_first_and_last_seen()
    {
        using var bridge = Bridge([Linus(), Grace(active: false), Ada()], [Owners(AdaId), Engineering(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        var run = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var page = await GetJsonAsync(client, $"{Base(id)}/users");

        var users = page.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal([AdaId, GraceId, LinusId], Ids(users));
        Assert.Null(page.GetProperty("nextCursor").GetString());
        Assert.Equal(["Engineering", "Owners"], GroupNames(users[0]));
        Assert.Equal(EngineeringId, users[0].GetProperty("groups")[0].GetProperty("id").GetString());
        Assert.Equal("Lovelace", users[0].GetProperty("familyName").GetString());
        Assert.Equal("ada@example.org", users[0].GetProperty("primaryEmail").GetString());
        Assert.Equal("inactive", users[1].GetProperty("status").GetString());
        Assert.False(users[1].GetProperty("active").GetBoolean());
        Assert.Equal("active", users[2].GetProperty("status").GetString());
        Assert.Empty(GroupNames(users[2]));
        Assert.Equal(["linus@example.org", "linus@kernel.example"], users[2].GetProperty("emails").EnumerateArray().Select(e => e.GetString()));
        Assert.All(users, u =>
        {
            Assert.Equal(StartedAt(run), u.GetProperty("firstSeenAt").GetDateTimeOffset());
            Assert.Equal(FinishedAt(run), u.GetProperty("lastSeenAt").GetDateTimeOffset());
            Assert.Equal(JsonValueKind.Null, u.GetProperty("removedAt").ValueKind);
        });
    }

    [Fact]
    public async Task Users_filters_by_status_group_and_text_sorts_by_name_and_includes_removed_people_on_request()
    {
        var zed = ScimPayload.User("UEEEEEEEEEEEEEEEEEEEEEEEEE", "aaron@example.org", "Zed", "Zulu");
        using var bridge = Bridge([Ada(), Grace(active: false), Linus(), zed], [Owners(AdaId), Engineering(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        var first = await app.SyncAsync(id);
        Reserve(bridge, [Ada(), Grace(active: false), zed], [Owners(AdaId), Engineering(AdaId, GraceId)]);
        var second = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        async Task<string[]> UsersAsync(string query) => Ids((await GetJsonAsync(client, $"{Base(id)}/users?{query}")).GetProperty("items").EnumerateArray());

        Assert.Equal(["UEEEEEEEEEEEEEEEEEEEEEEEEE", AdaId, GraceId], await UsersAsync(""));
        Assert.Equal([AdaId, GraceId, "UEEEEEEEEEEEEEEEEEEEEEEEEE"], await UsersAsync("sort=name"));
        Assert.Equal([GraceId], await UsersAsync("status=inactive"));
        Assert.Equal(["UEEEEEEEEEEEEEEEEEEEEEEEEE", AdaId], await UsersAsync("status=ACTIVE"));
        Assert.Equal([AdaId], await UsersAsync($"groupId={OwnersId}"));
        Assert.Equal([AdaId, GraceId], await UsersAsync($"groupId={EngineeringId}"));
        Assert.Equal([AdaId], await UsersAsync("q=LOVE"));
        Assert.Equal([GraceId], await UsersAsync("q=grace%20hop"));
        Assert.Empty(await UsersAsync("q=%25"));
        Assert.Equal([GraceId], await UsersAsync("q=hopper&status=inactive&groupId=" + EngineeringId));
        Assert.Equal(["UEEEEEEEEEEEEEEEEEEEEEEEEE", AdaId, GraceId, LinusId], await UsersAsync("removed=true"));

        var linus = (await GetJsonAsync(client, $"{Base(id)}/users?removed=true&q=linus")).GetProperty("items")[0];
        Assert.Equal(StartedAt(second), linus.GetProperty("removedAt").GetDateTimeOffset());
        Assert.Equal(FinishedAt(first), linus.GetProperty("lastSeenAt").GetDateTimeOffset());
        var ada = (await GetJsonAsync(client, $"{Base(id)}/users?q=ada")).GetProperty("items")[0];
        Assert.Equal(FinishedAt(second), ada.GetProperty("lastSeenAt").GetDateTimeOffset());
        Assert.Equal(StartedAt(first), ada.GetProperty("firstSeenAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_user_shows_their_groups_and_change_history_newest_first_and_an_unknown_user_is_404()
    {
        using var bridge = Bridge([Ada(), Grace()], [Engineering(AdaId, GraceId)]);
        var id = await RegisterWithEmptyBaselineAsync(bridge, [Ada(), Grace()], [Engineering(AdaId, GraceId)]);
        var first = await app.SyncAsync(id);
        Reserve(bridge, [Ada(), Grace(active: false)], [Engineering(AdaId, GraceId), Owners(GraceId)]);
        var second = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var detail = await GetJsonAsync(client, $"{Base(id)}/users/{GraceId}");

        var user = detail.GetProperty("user");
        Assert.Equal("grace@example.org", user.GetProperty("userName").GetString());
        Assert.Equal("inactive", user.GetProperty("status").GetString());
        Assert.Equal(["Engineering", "Owners"], GroupNames(user));
        Assert.Equal(StartedAt(first), user.GetProperty("firstSeenAt").GetDateTimeOffset());
        Assert.Equal(FinishedAt(second), user.GetProperty("lastSeenAt").GetDateTimeOffset());
        var history = detail.GetProperty("history").EnumerateArray().ToArray();
        Assert.Equal(["membership_added", "user_deactivated"], history.Take(2).Select(h => h.GetProperty("kind").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["membership_added", "user_added"], history.Skip(2).Select(h => h.GetProperty("kind").GetString()).Order(StringComparer.Ordinal));
        Assert.All(history.Take(2), h => Assert.Equal(second.GetProperty("id").GetGuid(), h.GetProperty("syncRunId").GetGuid()));
        Assert.All(history, h => Assert.Equal(GraceId, h.GetProperty("subjectId").GetString()));

        var unknown = await client.GetAsync($"{Base(id)}/users/UZZZZZZZZZZZZZZZZZZZZZZZZZ");
        await ConnectionRegistryTests.AssertProblem(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Groups_list_member_counts_filter_by_name_and_members_page_by_userName()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus()], [Owners(AdaId), Engineering(LinusId, AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        var run = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var groups = await GetAllPagesAsync(client, $"{Base(id)}/groups", 1);
        Assert.Equal([EngineeringId, OwnersId], Ids(groups));
        Assert.Equal([3, 1], groups.Select(g => g.GetProperty("memberCount").GetInt32()));
        Assert.Equal([OwnersId], Ids((await GetJsonAsync(client, $"{Base(id)}/groups?q=OWN")).GetProperty("items").EnumerateArray()));

        var members = await GetAllPagesAsync(client, $"{Base(id)}/groups/{EngineeringId}/members", 2);
        Assert.Equal([AdaId, GraceId, LinusId], Ids(members));
        Assert.Equal(["ada@example.org", "grace@example.org", "linus@example.org"], Ids(members, "userName"));
        Assert.All(members, m => Assert.Equal(StartedAt(run), m.GetProperty("memberSince").GetDateTimeOffset()));

        await ConnectionRegistryTests.AssertProblem(await client.GetAsync($"{Base(id)}/groups/gzzzzzzzzzzzzzzzzzzzzzzzzz/members"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AsOf_between_two_syncs_answers_with_the_directory_of_the_earlier_sync()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus()], [Owners(AdaId), Engineering(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        var first = await app.SyncAsync(id);
        var renamedGrace = ScimPayload.User(GraceId, "grace@example.org", "Grace", "Murray Hopper");
        var adaDeactivated = ScimPayload.User(AdaId, "ada@example.org", "Ada", "Lovelace", active: false);
        Reserve(bridge, [adaDeactivated, renamedGrace, Jean()],
            [Owners(AdaId, JeanId), ScimPayload.Group(EngineeringId, "Platform", AdaId)]);
        var second = await app.SyncAsync(id);
        var (t1, t2) = (FinishedAt(first), FinishedAt(second));
        var between = Iso(t1 + ((t2 - t1) / 2));
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        foreach (var asOf in new[] { Iso(t1), between })
        {
            var then = await GetJsonAsync(client, $"{Base(id)}/users?asOf={asOf}");
            Assert.Equal(t1, then.GetProperty("asOfSync").GetDateTimeOffset());
            var users = then.GetProperty("items").EnumerateArray().ToArray();
            Assert.Equal([AdaId, GraceId, LinusId], Ids(users));
            Assert.True(users[0].GetProperty("active").GetBoolean());
            Assert.Equal(["Engineering", "Owners"], GroupNames(users[0]));
            Assert.Equal("Hopper", users[1].GetProperty("familyName").GetString());
            Assert.Equal(["Engineering"], GroupNames(users[1]));

            var groups = (await GetJsonAsync(client, $"{Base(id)}/groups?asOf={asOf}")).GetProperty("items").EnumerateArray().ToArray();
            Assert.Equal(["Engineering", "Owners"], groups.Select(g => g.GetProperty("displayName").GetString()));
            Assert.Equal([2, 1], groups.Select(g => g.GetProperty("memberCount").GetInt32()));
            Assert.Equal([AdaId, GraceId], Ids((await GetJsonAsync(client, $"{Base(id)}/groups/{EngineeringId}/members?asOf={asOf}")).GetProperty("items").EnumerateArray()));
            Assert.Equal([AdaId], Ids((await GetJsonAsync(client, $"{Base(id)}/groups/{OwnersId}/members?asOf={asOf}")).GetProperty("items").EnumerateArray()));

            var sheet = (await GetJsonAsync(client, $"{Base(id)}/access-review?asOf={asOf}")).GetProperty("items").EnumerateArray()
                .Select(r => $"{r.GetProperty("userName").GetString()}>{r.GetProperty("groupName").GetString()}").ToArray();
            Assert.Equal(["ada@example.org>Owners", "ada@example.org>Engineering", "grace@example.org>Engineering", "linus@example.org>"], sheet);
        }

        var now = await GetJsonAsync(client, $"{Base(id)}/users?asOf={Iso(t2)}");
        Assert.Equal(t2, now.GetProperty("asOfSync").GetDateTimeOffset());
        Assert.Equal([AdaId, GraceId, JeanId], Ids(now.GetProperty("items").EnumerateArray()));
        Assert.Equal("Murray Hopper", now.GetProperty("items")[1].GetProperty("familyName").GetString());
        Assert.Equal(["Owners", "Platform"], Ids((await GetJsonAsync(client, $"{Base(id)}/groups")).GetProperty("items").EnumerateArray(), "displayName"));
        Assert.Equal([AdaId], Ids((await GetJsonAsync(client, $"{Base(id)}/groups/{EngineeringId}/members")).GetProperty("items").EnumerateArray()));

        var before = await client.GetAsync($"{Base(id)}/users?asOf={Iso(t1.AddHours(-1))}");
        var problem = await ConnectionRegistryTests.AssertProblem(before, HttpStatusCode.NotFound);
        Assert.Contains("No sync of this connection had completed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var garbage = await ConnectionRegistryTests.AssertProblem(await client.GetAsync($"{Base(id)}/groups?asOf=last-tuesday"), HttpStatusCode.BadRequest);
        Assert.True(garbage.GetProperty("errors").TryGetProperty("asOf", out _));
    }

    [Fact]
    public async Task Changes_are_listed_newest_first_filtered_by_kind_and_dates_and_paged_without_gaps()
    {
        using var bridge = Bridge([Ada(), Grace()], [Engineering(AdaId)]);
        var id = await RegisterWithEmptyBaselineAsync(bridge, [Ada(), Grace()], [Engineering(AdaId)]);
        var first = await app.SyncAsync(id);
        Reserve(bridge, [Ada(), Grace(active: false), Linus()], [Engineering(AdaId, LinusId)]);
        var second = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var all = (await GetJsonAsync(client, $"{Base(id)}/changes")).GetProperty("items").EnumerateArray().ToArray();
        var paged = await GetAllPagesAsync(client, $"{Base(id)}/changes", 2);

        Assert.Equal(7, all.Length);
        Assert.Equal(all.Select(c => c.GetProperty("id").GetInt64()), paged.Select(c => c.GetProperty("id").GetInt64()));
        Assert.All(all.Take(3), c => Assert.Equal(second.GetProperty("id").GetGuid(), c.GetProperty("syncRunId").GetGuid()));
        Assert.All(all.Skip(3), c => Assert.Equal(first.GetProperty("id").GetGuid(), c.GetProperty("syncRunId").GetGuid()));
        Assert.Equal(all.Select(c => c.GetProperty("id").GetInt64()).OrderDescending(), all.Select(c => c.GetProperty("id").GetInt64()));

        var deactivated = (await GetJsonAsync(client, $"{Base(id)}/changes?kind=user_deactivated")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal(GraceId, deactivated.GetProperty("subjectId").GetString());
        Assert.Equal("grace@example.org", deactivated.GetProperty("subjectName").GetString());
        Assert.True(deactivated.GetProperty("before").GetProperty("active").GetBoolean());
        Assert.False(deactivated.GetProperty("after").GetProperty("active").GetBoolean());
        Assert.Equal(StartedAt(second), deactivated.GetProperty("occurredAt").GetDateTimeOffset());
        var joined = (await GetJsonAsync(client, $"{Base(id)}/changes?kind=membership_added&since={Iso(StartedAt(second))}")).GetProperty("items")[0];
        Assert.Equal("Engineering", joined.GetProperty("groupName").GetString());
        Assert.Equal(LinusId, joined.GetProperty("subjectId").GetString());

        Assert.Equal(3, (await GetJsonAsync(client, $"{Base(id)}/changes?since={Iso(StartedAt(second))}")).GetProperty("items").GetArrayLength());
        Assert.Equal(4, (await GetJsonAsync(client, $"{Base(id)}/changes?until={Iso(StartedAt(second))}")).GetProperty("items").GetArrayLength());

        var badKind = await ConnectionRegistryTests.AssertProblem(await client.GetAsync($"{Base(id)}/changes?kind=user_exploded"), HttpStatusCode.BadRequest);
        Assert.True(badKind.GetProperty("errors").TryGetProperty("kind", out _));
        var badDates = await ConnectionRegistryTests.AssertProblem(await client.GetAsync($"{Base(id)}/changes?since=yesterday&until=2026-13-45"), HttpStatusCode.BadRequest);
        Assert.True(badDates.GetProperty("errors").TryGetProperty("since", out _));
        Assert.True(badDates.GetProperty("errors").TryGetProperty("until", out _));
    }

    [Fact]
    public async Task The_access_review_CSV_parsed_back_equals_the_JSON_rows_and_has_one_header_row()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus(), Jean()], [Owners(AdaId), Engineering(AdaId, JeanId)]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var json = await GetAllPagesAsync(client, $"{Base(id)}/access-review", 2);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Base(id)}/access-review");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var response = await client.SendAsync(request);
        var byQuery = await client.GetAsync($"{Base(id)}/access-review?format=csv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType.CharSet);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition.FileName!.Trim('"'), StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(0xEF, bytes[0]);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Equal(text, await byQuery.Content.ReadAsStringAsync());
        Assert.Contains("\"Jean, \"\"JJ\"\" Sammet\"", text, StringComparison.Ordinal);

        var records = ParseCsv(text);
        Assert.Equal(["userId", "userName", "displayName", "primaryEmail", "emails", "status", "active", "firstSeenAt", "groupId", "groupName", "memberSince", "viaGroupIds", "viaGroupNames",
            "lastSignInAt", "lastFailedSignInAt", "lastFailedSignInCategory", "signInsLast30Days", "mfaFailuresLast30Days", "signInsKnownSince"], records[0]);
        var rows = records.Skip(1).ToArray();
        Assert.Equal(5, json.Count);
        Assert.Equal(json.Count, rows.Length);
        Assert.Equal(["ada@example.org>Owners", "ada@example.org>Engineering", "grace@example.org>", "jean@example.org>Engineering", "linus@example.org>"],
            json.Select(r => $"{r.GetProperty("userName").GetString()}>{r.GetProperty("groupName").GetString()}"));
        for (var i = 0; i < rows.Length; i++)
        {
            var (csv, row) = (rows[i], json[i]);
            Assert.Equal(19, csv.Length);
            Assert.Equal(row.GetProperty("userId").GetString(), csv[0]);
            Assert.Equal(row.GetProperty("userName").GetString(), csv[1]);
            Assert.Equal(row.GetProperty("displayName").GetString() ?? "", csv[2]);
            Assert.Equal(row.GetProperty("primaryEmail").GetString() ?? "", csv[3]);
            Assert.Equal(string.Join(';', row.GetProperty("emails").EnumerateArray().Select(e => e.GetString())), csv[4]);
            Assert.Equal(row.GetProperty("status").GetString(), csv[5]);
            Assert.Equal(row.GetProperty("active").GetBoolean(), bool.Parse(csv[6]));
            Assert.Equal(row.GetProperty("firstSeenAt").GetDateTimeOffset(), DateTimeOffset.Parse(csv[7], CultureInfo.InvariantCulture));
            Assert.Equal(row.GetProperty("groupId").GetString() ?? "", csv[8]);
            Assert.Equal(row.GetProperty("groupName").GetString() ?? "", csv[9]);
            var memberSince = row.GetProperty("memberSince");
            Assert.Equal(memberSince.ValueKind == JsonValueKind.Null ? "" : memberSince.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), csv[10]);
            Assert.Equal(string.Join(';', row.GetProperty("via").EnumerateArray().Select(g => g.GetProperty("id").GetString())), csv[11]);
            Assert.Equal(string.Join(';', row.GetProperty("via").EnumerateArray().Select(g => g.GetProperty("displayName").GetString())), csv[12]);
            // No events token: sign-ins are not known, so their cells are empty rather than "never".
            Assert.Equal(JsonValueKind.Null, row.GetProperty("signIns").ValueKind);
            Assert.All(csv[13..], cell => Assert.Equal("", cell));
        }

        Assert.Equal("Jean, \"JJ\" Sammet", rows[3][2]);
        Assert.Equal("jean@example.org;jj@example.net", rows[3][4]);
    }

    [Fact]
    public async Task The_summary_flags_privileged_members_inactive_members_joiners_and_leavers()
    {
        var administrators = ScimPayload.Group("gccccccccccccccccccccccccc", "Administrators", GraceId);
        using var bridge = Bridge([Ada(), Grace(), Linus()], [Owners(AdaId), Engineering(AdaId, GraceId), administrators]);
        var id = await RegisterWithEmptyBaselineAsync(bridge, [Ada(), Grace(), Linus()], [Owners(AdaId), Engineering(AdaId, GraceId), administrators]);
        await app.SyncAsync(id);
        Reserve(bridge, [Ada(), Grace(active: false)], [Owners(AdaId), Engineering(AdaId, GraceId), administrators]);
        var second = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var summary = await GetJsonAsync(client, $"{Base(id)}/summary");

        Assert.Equal(1, summary.GetProperty("usersByStatus").GetProperty("active").GetInt32());
        Assert.Equal(1, summary.GetProperty("usersByStatus").GetProperty("inactive").GetInt32());
        Assert.Equal(1, summary.GetProperty("removedUsers").GetInt32());
        Assert.Equal(3, summary.GetProperty("groups").GetInt32());
        Assert.Equal(4, summary.GetProperty("memberships").GetInt32());
        var privileged = summary.GetProperty("privilegedGroups").EnumerateArray()
            .Select(g => $"{g.GetProperty("groupName").GetString()}:{string.Join(',', g.GetProperty("members").EnumerateArray().Select(m => m.GetString()))}");
        Assert.Equal(["Administrators:grace@example.org", "Owners:ada@example.org"], privileged);
        var inactive = summary.GetProperty("inactiveUsersWithMemberships");
        Assert.Equal(1, inactive.GetProperty("count").GetInt32());
        Assert.Equal("grace@example.org", inactive.GetProperty("users")[0].GetProperty("userName").GetString());
        Assert.Equal(["Administrators", "Engineering"], inactive.GetProperty("users")[0].GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(3, summary.GetProperty("usersAddedSince").GetInt32());
        Assert.Equal(1, summary.GetProperty("usersRemovedSince").GetInt32());
        Assert.Equal(FinishedAt(second), summary.GetProperty("lastSuccessfulSyncAt").GetDateTimeOffset());
        Assert.InRange(summary.GetProperty("lastSuccessfulSyncAgeHours").GetDouble(), 0, 1);

        var later = await GetJsonAsync(client, $"{Base(id)}/summary?since={Iso(FinishedAt(second).AddSeconds(1))}");
        Assert.Equal(0, later.GetProperty("usersAddedSince").GetInt32());
        Assert.Equal(0, later.GetProperty("usersRemovedSince").GetInt32());
        await ConnectionRegistryTests.AssertProblem(await client.GetAsync($"{Base(id)}/summary?since=soon"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Every_access_review_endpoint_answers_404_for_a_connection_of_another_tenant()
    {
        using var bridge = Bridge([Ada()], [Owners(AdaId)]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        foreach (var path in new[] { "users", $"users/{AdaId}", "groups", $"groups/{OwnersId}/members", "changes", "access-review", "access-review?format=csv", "summary" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Base(id)}/{path}")).StatusCode);
            var problem = await ConnectionRegistryTests.AssertProblem(await client.GetAsync($"{Base(id, ConnectorApp.Globex)}/{path}"), HttpStatusCode.NotFound);
            Assert.Equal("No such connection for this tenant.", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_bad_cursor_limit_or_filter_is_a_400_naming_the_parameter()
    {
        using var bridge = Bridge([Ada(), Grace()], [Owners(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var usersCursor = (await GetJsonAsync(client, $"{Base(id)}/users?limit=1")).GetProperty("nextCursor").GetString();
        Assert.NotNull(usersCursor);

        var bad = new (string Query, string Parameter)[]
        {
            ("users?cursor=not-a-cursor!", "cursor"),
            ("users?cursor=" + Convert.ToBase64String("[\"users:userName\"]"u8), "cursor"),
            ($"users?sort=name&cursor={usersCursor}", "cursor"),
            ($"groups?cursor={usersCursor}", "cursor"),
            ($"groups/{OwnersId}/members?cursor={usersCursor}", "cursor"),
            ($"changes?cursor={usersCursor}", "cursor"),
            ($"access-review?cursor={usersCursor}", "cursor"),
            ("users?limit=0", "limit"),
            ("access-review?limit=1001", "limit"),
            ("users?status=not%20a%20status", "status"),
            ("users?sort=email", "sort"),
            ("access-review?format=xlsx", "format"),
        };
        foreach (var (query, parameter) in bad)
        {
            var problem = await ConnectionRegistryTests.AssertProblem(await client.GetAsync($"{Base(id)}/{query}"), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"{query}: {problem}");
        }

        Assert.Equal([GraceId], Ids((await GetJsonAsync(client, $"{Base(id)}/users?limit=1&cursor={usersCursor}")).GetProperty("items").EnumerateArray()));
    }
}
