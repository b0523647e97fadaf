using System.Security.Cryptography;
using System.Text;
using OnePasswordConnector.Scim;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Tests.Sync;

public sealed class MembersHashTests
{
    private static readonly ScimMember Ada = new("u-ada", "User");
    private static readonly ScimMember Bob = new("u-bob", "User");
    private static readonly ScimMember Admins = new("g-admins", "Group");

    [Fact]
    public void Members_hash_does_not_depend_on_the_order_the_bridge_lists_members_in()
    {
        Assert.Equal(SyncStaging.MembersHash([Ada, Bob, Admins]), SyncStaging.MembersHash([Admins, Bob, Ada]));
    }

    [Fact]
    public void Members_hash_changes_when_a_member_joins_or_leaves()
    {
        var before = SyncStaging.MembersHash([Ada, Bob]);

        Assert.NotEqual(before, SyncStaging.MembersHash([Ada, Bob, Admins]));
        Assert.NotEqual(before, SyncStaging.MembersHash([Ada]));
    }

    [Fact]
    public void Members_hash_tells_a_user_from_a_group_with_the_same_id()
    {
        Assert.NotEqual(SyncStaging.MembersHash([new ScimMember("same", "User")]), SyncStaging.MembersHash([new ScimMember("same", "Group")]));
    }

    [Fact]
    public void Members_hash_of_no_members_is_stable()
    {
        Assert.Equal(SHA256.HashData([]), SyncStaging.MembersHash([]));
    }

    // Stored groups keep this digest: a different formula would restage every group's members on the next sync.
    [Theory]
    [InlineData(8)]
    [InlineData(600)]
    public void Members_hash_is_the_sha256_of_sorted_type_colon_id_lines_for_short_and_long_ids(int idLength)
    {
        var longId = new string('é', idLength);
        var members = new[] { new ScimMember(longId, "User"), Bob, Admins };
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(
            members.OrderBy(m => m.Id, StringComparer.Ordinal).Select(m => $"{m.Type}:{m.Id}\n"))));

        Assert.Equal(expected, SyncStaging.MembersHash(members));
    }
}
