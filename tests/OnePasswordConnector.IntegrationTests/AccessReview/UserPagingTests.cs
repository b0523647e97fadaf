using System.Globalization;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

public sealed class UserPagingTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static string Id(int i) => "U" + i.ToString("D25", CultureInfo.InvariantCulture);

    private static JsonObject Person(int i, bool active = true) =>
        ScimPayload.User(Id(i), $"user{i:D3}@example.org", "Person", i.ToString("D3", CultureInfo.InvariantCulture), active);

    /// <summary>Newcomers whose userNames sort between the existing ones, on pages already read and pages still to come.</summary>
    private static JsonObject Newcomer(int wave, int i) =>
        ScimPayload.User($"N{wave}{i.ToString("D24", CultureInfo.InvariantCulture)}", $"user{i:D3}-{wave}@example.org", "New", $"{wave}-{i}");

    [Fact]
    public async Task Paging_users_with_limit_37_visits_every_user_exactly_once_while_syncs_change_the_directory()
    {
        var everyone = Enumerable.Range(0, 100).ToArray();
        using var bridge = Bridge([.. everyone.Select(i => Person(i))], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var visits = new List<string>();
        string? cursor = null;
        var wave = 0;
        var leavers = new HashSet<int>();
        do
        {
            var page = await GetJsonAsync(client, $"/api/v1/tenants/acme/connections/{id}/users?limit=37" + (cursor is null ? "" : $"&cursor={cursor}"));
            var items = page.GetProperty("items").EnumerateArray().ToArray();
            Assert.InRange(items.Length, 1, 37);
            visits.AddRange(Ids(items));
            cursor = page.GetProperty("nextCursor").GetString();

            // Between page requests, a sync sees leavers, joiners and deactivations all over the sort order.
            wave++;
            leavers.UnionWith(everyone.Where(i => i % 10 == wave));
            var directory = everyone.Where(i => !leavers.Contains(i)).Select(i => Person(i, active: i % 10 != 5 + wave))
                .Concat(Enumerable.Range(0, 100).Where(i => i % 7 == wave).Select(i => Newcomer(wave, i)));
            Reserve(bridge, [.. directory], []);
            Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        }
        while (cursor is not null);

        Assert.True(wave >= 3, $"Expected at least three pages, got {wave}.");
        Assert.Equal(visits.Count, visits.Distinct(StringComparer.Ordinal).Count());
        var stayed = everyone.Where(i => !leavers.Contains(i)).Select(Id).ToArray();
        Assert.True(stayed.Length >= 50, $"{stayed.Length} users stayed throughout.");
        Assert.All(stayed, u => Assert.Single(visits, v => v == u));
    }
}
