using OnePasswordConnector.DemoBridge;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

public sealed class LargeDirectoryApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings.Where(s => s.Key != "Sync:PageSize").Append(new("Sync:PageSize", "100"));
}

/// <summary>Against a real SCIM 2.0 server over HTTP (the demo bridge), not a scripted one.</summary>
public sealed class LargeDirectoryTests(LargeDirectoryApp app) : IClassFixture<LargeDirectoryApp>
{
    [Fact]
    public async Task Every_user_group_and_membership_of_2000_users_and_200_groups_is_stored_exactly_once()
    {
        var directory = DemoDirectory.Generate(users: 2000, groups: 200, seed: 42, membershipsPerUser: 3);
        const string token = "demo-bridge-token-large-directory";
        await using var bridge = await DemoBridgeApp.StartAsync(new DemoBridgeOptions { BearerToken = token, MaxPageSize = 100 }, directory);
        var connectionId = await app.RegisterAsync(bridge.GetBaseAddress().AbsoluteUri.TrimEnd('/'), token);

        var run = await app.SyncAsync(connectionId);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        var expectedMemberships = directory.Groups.Sum(g => g.MemberIds.Length);
        Assert.Equal(directory.Users.Count, run.GetProperty("users").GetProperty("seen").GetInt32());
        Assert.Equal(directory.Groups.Count, run.GetProperty("groups").GetProperty("seen").GetInt32());
        Assert.Equal(expectedMemberships, run.GetProperty("memberships").GetProperty("seen").GetInt32());

        var stored = await app.QueryAsync("""
            SELECT (SELECT count(*) FROM directory_users WHERE connection_id = @c),
                   (SELECT count(DISTINCT scim_id) FROM directory_users WHERE connection_id = @c),
                   (SELECT count(*) FROM directory_groups WHERE connection_id = @c),
                   (SELECT count(*) FROM memberships WHERE connection_id = @c)
            """, connectionId);
        Assert.Equal([$"{directory.Users.Count}|{directory.Users.Count}|{directory.Groups.Count}|{expectedMemberships}"], stored);
        var ids = await app.QueryAsync("SELECT scim_id FROM directory_users WHERE connection_id = @c ORDER BY scim_id", connectionId);
        Assert.Equal(directory.Users.Select(u => u.Id).Order(StringComparer.Ordinal), ids);
        var owners = directory.FindGroupByName("Owners")!;
        var storedOwners = await app.QueryAsync($"SELECT member_id FROM memberships WHERE connection_id = @c AND group_id = '{owners.Id}' ORDER BY 1", connectionId);
        Assert.Equal(owners.MemberIds.Order(StringComparer.Ordinal), storedOwners);

        var again = await app.SyncAsync(connectionId);
        Assert.Equal(0, again.GetProperty("changeEvents").GetInt32());
    }
}
