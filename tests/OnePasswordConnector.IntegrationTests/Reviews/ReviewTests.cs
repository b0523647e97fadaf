using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.Reviews;

public sealed class ReviewTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static string Base(Guid id) => $"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}";

    private static async Task<JsonElement> CreateReviewAsync(HttpClient client, Guid connectionId, string name, object? asOf = null)
    {
        var response = await client.PostAsJsonAsync($"{Base(connectionId)}/reviews", new { name, asOf });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST reviews: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<string> TextAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        return body;
    }

    [Fact]
    public async Task A_review_answers_from_its_pinned_run_after_the_bridge_changes_and_the_next_review_diffs_exactly_those_changes()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus()], [Owners(AdaId), Engineering(AdaId, GraceId, LinusId)]);
        var id = await app.RegisterAsync(bridge);
        var run = await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var first = await CreateReviewAsync(client, id, "Q3 review");
        var r1 = $"{Base(id)}/reviews/{first.GetProperty("id").GetGuid()}";
        string[] frozen = [$"{r1}/users", $"{r1}/groups", $"{r1}/groups/{EngineeringId}/members", $"{r1}/access-review", r1];
        var before = new List<string>();
        foreach (var url in frozen)
        {
            before.Add(await TextAsync(client, url));
        }

        Reserve(bridge, [Ada(), Grace(active: false), Jean()], [Owners(AdaId, GraceId), Engineering(AdaId, JeanId)]);
        await app.SyncAsync(id);
        var second = await CreateReviewAsync(client, id, "Q4 review");
        var r2 = $"{Base(id)}/reviews/{second.GetProperty("id").GetGuid()}";

        Assert.Equal(run.GetProperty("id").GetGuid(), first.GetProperty("syncRunId").GetGuid());
        Assert.Equal("""{"users":3,"active":3,"groups":2,"memberships":4,"privilegedMembers":1}""", first.GetProperty("population").GetRawText());
        Assert.Equal("platform", first.GetProperty("createdBy").GetString());
        Assert.Equal(JsonValueKind.Object, first.GetProperty("completeness").ValueKind);
        for (var i = 0; i < frozen.Length; i++)
        {
            Assert.Equal(before[i], await TextAsync(client, frozen[i]));
        }

        var live = await GetJsonAsync(client, $"{Base(id)}/users");
        Assert.Equal([AdaId, GraceId, JeanId], Ids(live.GetProperty("items").EnumerateArray()));
        Assert.Equal(first.GetProperty("id").GetGuid(), second.GetProperty("previousReviewId").GetGuid());

        var diff = await GetJsonAsync(client, $"{r2}/diff");
        var changes = diff.GetProperty("changes").EnumerateArray()
            .Select(c => $"{c.GetProperty("kind").GetString()}:{c.GetProperty("userId").GetString()}:{c.GetProperty("groupId").GetString()}").ToArray();
        Assert.Equal(
        [
            $"joiner:{JeanId}:", $"leaver:{LinusId}:", $"deactivation:{GraceId}:",
            $"membership_grant:{GraceId}:{OwnersId}", $"membership_grant:{JeanId}:{EngineeringId}",
            $"membership_revocation:{GraceId}:{EngineeringId}", $"membership_revocation:{LinusId}:{EngineeringId}",
            $"privileged_grant:{GraceId}:{OwnersId}",
        ], changes);
        Assert.Equal(first.GetProperty("id").GetGuid(), diff.GetProperty("againstReviewId").GetGuid());
        Assert.Equal(2, diff.GetProperty("counts").GetProperty("membership_revocation").GetInt32());
        Assert.Equal(0, diff.GetProperty("counts").GetProperty("activation").GetInt32());

        var backwards = await GetJsonAsync(client, $"{r1}/diff?against={second.GetProperty("id").GetGuid()}");
        Assert.Equal(1, backwards.GetProperty("counts").GetProperty("leaver").GetInt32());
        Assert.Equal(1, backwards.GetProperty("counts").GetProperty("activation").GetInt32());

        var sheet = (await GetJsonAsync(client, $"{r2}/access-review")).GetProperty("items").EnumerateArray()
            .Select(r => $"{r.GetProperty("userId").GetString()}:{r.GetProperty("groupId").GetString()}:{r.GetProperty("sinceLastReview").GetString()}");
        Assert.Equal(
        [
            $"{AdaId}:{OwnersId}:unchanged", $"{AdaId}:{EngineeringId}:unchanged", $"{GraceId}:{OwnersId}:new", $"{JeanId}:{EngineeringId}:new",
        ], sheet);
        var firstSheet = (await GetJsonAsync(client, $"{r1}/access-review")).GetProperty("items").EnumerateArray();
        Assert.All(firstSheet, r => Assert.Equal("new", r.GetProperty("sinceLastReview").GetString()));
    }

    [Fact]
    public async Task A_changed_person_is_marked_changed_on_the_next_reviews_sheet()
    {
        using var bridge = Bridge([Ada(), Grace()], [Engineering(AdaId, GraceId)]);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        await CreateReviewAsync(client, id, "before");
        Reserve(bridge, [Ada(), Grace(active: false)], [Engineering(AdaId, GraceId)]);
        await app.SyncAsync(id);

        var second = await CreateReviewAsync(client, id, "after");

        var rows = (await GetJsonAsync(client, $"{Base(id)}/reviews/{second.GetProperty("id").GetGuid()}/access-review")).GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("userId").GetString()!, r => r.GetProperty("sinceLastReview").GetString());
        Assert.Equal("unchanged", rows[AdaId]);
        Assert.Equal("changed", rows[GraceId]);
    }

    [Fact]
    public async Task A_review_needs_a_succeeded_complete_run_by_asOf_and_says_why_with_422()
    {
        using var bridge = Bridge([Ada()], []);
        var id = await app.RegisterAsync(bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var none = await client.PostAsJsonAsync($"{Base(id)}/reviews", new { name = "too early" });
        var run = await app.SyncAsync(id);
        var early = await client.PostAsJsonAsync($"{Base(id)}/reviews", new { name = "before the run", asOf = run.GetProperty("startedAt").GetDateTimeOffset() });
        await app.QueryAsync("UPDATE sync_runs SET complete = false WHERE connection_id = @c RETURNING id", id);
        var incomplete = await client.PostAsJsonAsync($"{Base(id)}/reviews", new { name = "incomplete" });
        var blank = await client.PostAsJsonAsync($"{Base(id)}/reviews", new { name = " " });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, none.StatusCode);
        Assert.Equal("No successful sync by then", (await none.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, early.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, incomplete.StatusCode);
        Assert.Equal("The sync to pin is not complete", (await incomplete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.True((await blank.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Only_a_key_with_the_reviews_delete_permission_deletes_a_review()
    {
        using var bridge = Bridge([Ada()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var admin = app.ClientWithKey(ConnectorApp.AdminKey);
        using var tenantKey = app.ClientWithKey(ConnectorApp.AcmeKey);
        var review = $"{Base(id)}/reviews/{(await CreateReviewAsync(tenantKey, id, "kept")).GetProperty("id").GetGuid()}";
        var next = $"{Base(id)}/reviews/{(await CreateReviewAsync(tenantKey, id, "next")).GetProperty("id").GetGuid()}";

        var refused = await tenantKey.DeleteAsync(review);
        var stillThere = await tenantKey.GetAsync(review);
        var deleted = await admin.DeleteAsync(review);
        var gone = await tenantKey.GetAsync(review);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("reviews:delete", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await GetJsonAsync(tenantKey, next)).GetProperty("previousReviewId").ValueKind);
    }

    [Fact]
    public async Task Reviews_list_newest_first_in_keyset_pages()
    {
        using var bridge = Bridge([Ada()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add((await CreateReviewAsync(client, id, $"review {i}")).GetProperty("id").GetString()!);
        }

        var listed = await GetAllPagesAsync(client, $"{Base(id)}/reviews", 2);

        Assert.Equal(Enumerable.Reverse(created), Ids(listed));
    }
}
