using System.Security.Cryptography;
using System.Text;
using OnePasswordConnector.DemoBridge;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// A group whose member array is far larger than the pieces a page is read in (64 KiB) and than the rest of its page:
/// read off the stream as ids, it must still be stored member for member, with the digest stored groups carry.
/// </summary>
public sealed class LargeGroupTests(LargeDirectoryApp app) : IClassFixture<LargeDirectoryApp>
{
    [Fact]
    public async Task A_group_of_30000_members_read_off_the_stream_is_stored_exactly_and_one_leaver_is_one_change()
    {
        var directory = DemoDirectory.Generate(users: 300, groups: 5, seed: 11, membershipsPerUser: 2);
        var allHands = directory.AddLargeGroup("All Hands", 30_000);
        const string token = "demo-bridge-token-large-group";
        await using var bridge = await DemoBridgeApp.StartAsync(new DemoBridgeOptions { BearerToken = token, MaxPageSize = 100 }, directory);
        var connectionId = await app.RegisterAsync(bridge.GetBaseAddress().AbsoluteUri.TrimEnd('/'), token);

        var run = await app.SyncAsync(connectionId);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(directory.Groups.Sum(g => g.MemberIds.Length), run.GetProperty("memberships").GetProperty("seen").GetInt32());
        var stored = await app.QueryAsync($"SELECT member_id, member_type FROM memberships WHERE connection_id = @c AND group_id = '{allHands.Id}' ORDER BY 1", connectionId);
        Assert.Equal(allHands.MemberIds.Order(StringComparer.Ordinal).Select(id => $"{id}|User"), stored);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(allHands.MemberIds.Order(StringComparer.Ordinal).Select(id => $"User:{id}\n"))));
        Assert.Equal([Convert.ToHexString(digest)],
            await app.QueryAsync($"SELECT upper(encode(members_hash, 'hex')) FROM directory_groups WHERE connection_id = @c AND scim_id = '{allHands.Id}'", connectionId));

        var unchanged = await app.SyncAsync(connectionId);
        Assert.Equal(0, unchanged.GetProperty("changeEvents").GetInt32());

        var leaver = allHands.MemberIds[^1];
        directory.RemoveMember(allHands.Id, leaver);
        var after = await app.SyncAsync(connectionId);

        Assert.Equal([$"membership_removed:{leaver}"], await app.ChangeEventsAsync(connectionId, after.GetProperty("id").GetGuid()));
        Assert.Equal([$"{allHands.MemberIds.Length - 1}"],
            await app.QueryAsync($"SELECT count(*) FROM memberships WHERE connection_id = @c AND group_id = '{allHands.Id}' AND removed_at IS NULL", connectionId));
    }
}
