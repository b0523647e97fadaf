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

    // A group read off the wire keeps its ids as UTF-8; its digest must be the one stored groups already carry.
    [Fact]
    public void Members_hash_of_ids_kept_as_utf8_is_the_hash_of_the_same_members_as_strings_in_any_script()
    {
        string[] ids = ["b", "a", "\uE000", "\uFFFF", "\uD83D\uDE00", "é", "z\uD83D\uDE00", "z\uFFFD", "Z", "ab", "a", "\u00FF", "\u0800", "\uD7FF"];
        var read = new MemberList();
        var first = new List<ScimMember>();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            read.Add(Encoding.UTF8.GetBytes(id), isGroup: i % 3 == 0);
            if (first.All(m => m.Id != id))
            {
                first.Add(new ScimMember(id, i % 3 == 0 ? "Group" : "User"));
            }
        }

        read.Seal();

        Assert.Equal(first, read);
        Assert.Equal(SyncStaging.MembersHash(first), SyncStaging.MembersHash(read));
    }

    [Fact]
    public void Utf8_ids_compare_as_their_utf16_strings_compare_ordinally()
    {
        string[] ids = ["", "a", "ab", "\u007F", "\u0080", "é", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\uFFFD", "\uFFFF", "\uD800\uDC00", "\uD83D\uDE00", "\uDBFF\uDFFF"];
        foreach (var a in ids)
        {
            foreach (var b in ids)
            {
                Assert.Equal(Math.Sign(string.CompareOrdinal(a, b)), Math.Sign(MemberList.CompareIds(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b))));
            }
        }
    }
}
