using System.Buffers;
using System.Text;
using System.Text.Json;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class MemberExtractionTests
{
    [Fact]
    public void Each_groups_members_are_lifted_out_by_its_position_and_the_page_keeps_an_empty_list_in_their_place()
    {
        const string page = """{"totalResults":2,"Resources":[{"id":"G1","members":[{"value":"U1"},{"value":"U2","type":"User"}]},{"id":"G2","members":[{"value":"G1","type":"Group"}]}]}""";

        var (members, rest) = Extract(page);

        Assert.Equal([new ScimMember("U1", "User"), new ScimMember("U2", "User")], members[0]);
        Assert.Equal([new ScimMember("G1", "Group")], members[1]);
        Assert.Equal("""{"totalResults":2,"Resources":[{"id":"G1","members":[]},{"id":"G2","members":[]}]}""", rest);
    }

    [Fact]
    public void Attribute_names_match_whatever_their_case_as_SCIM_compares_them()
    {
        const string page = """{"totalResults":1,"resources":[{"id":"G1","Members":[{"Value":"U1","TYPE":"group"}]}]}""";

        var (members, rest) = Extract(page);

        Assert.Equal([new ScimMember("U1", "Group")], members[0]);
        Assert.Equal("""{"totalResults":1,"resources":[{"id":"G1","Members":[]}]}""", rest);
    }

    [Fact]
    public void A_member_listed_twice_is_one_membership_and_members_without_a_value_are_skipped()
    {
        const string page = """{"Resources":[{"id":"G1","members":[{"value":"U1"},{"value":"U1"},{"display":"no id"},{"value":""},"U9",{"value":42}]}]}""";

        var (members, _) = Extract(page);

        Assert.Equal([new ScimMember("U1", "User"), new ScimMember("42", "User")], members[0]);
    }

    [Fact]
    public void Each_members_id_is_also_given_as_the_utf8_bytes_it_was_read_as_without_repeats()
    {
        const string page = """{"Resources":[{"id":"G1","members":[{"value":"Zo\u00eb"},{"value":"U1"},{"value":"Zoë"},{"value":"日本","type":"Group"}]}]}""";

        var (members, _) = Extract(page);
        var list = members[0];

        var read = Enumerable.Range(0, list.Count).Select(i => (Encoding.UTF8.GetString(list.IdUtf8(i, out var isGroup).Span), isGroup)).ToList();
        Assert.Equal([("Zoë", false), ("U1", false), ("日本", true)], read);
        Assert.Equal(list.Select(m => (m.Id, m.Type == "Group")), read);
    }

    [Fact]
    public void A_group_without_a_members_array_has_no_entry_so_its_members_are_read_another_way()
    {
        const string page = """{"Resources":[{"id":"G1"},{"id":"G2","members":null},{"id":"G3","members":[]}]}""";

        var (members, rest) = Extract(page);

        Assert.False(members.ContainsKey(0));
        Assert.False(members.ContainsKey(1));
        Assert.Empty(members[2]);
        Assert.Equal(page, rest);
    }

    [Fact]
    public void Members_outside_the_Resources_list_are_left_where_they_are()
    {
        const string page = """{"members":[{"value":"X"}],"Resources":[{"id":"G1","meta":{"members":[{"value":"Y"}]}}]}""";

        var (members, rest) = Extract(page);

        Assert.Empty(members);
        Assert.Equal(page, rest);
    }

    [Fact]
    public void The_page_without_its_members_still_parses_as_the_same_groups()
    {
        var ids = string.Join(",", Enumerable.Range(1, 5_000).Select(i => $$"""{"value":"U{{i}}"}"""));
        var page = $$"""{"totalResults":1,"Resources":[{"id":"G1","displayName":"Everyone","members":[{{ids}}]}]}""";

        var (members, rest) = Extract(page);

        Assert.Equal(5_000, members[0].Count);
        using var document = JsonDocument.Parse(rest);
        var group = ScimGroup.Parse(document.RootElement.GetProperty("Resources")[0], members[0]);
        Assert.Equal("Everyone", group.DisplayName);
        Assert.Equal(5_000, group.Members!.Count);
    }

    private static (Dictionary<int, MemberList> Members, string Page) Extract(string page)
    {
        var output = new ArrayBufferWriter<byte>();
        var members = MemberExtraction.Extract(Encoding.UTF8.GetBytes(page), output);
        return (members, Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
