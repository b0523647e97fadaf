using System.Text.Json;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class ContentHashTests
{
    private const string Ada = """
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"U1","userName":"ada@example.org",
         "name":{"givenName":"Ada","familyName":"Lovelace"},"active":true,"emails":[{"value":"ada@example.org","primary":true}],
         "meta":{"resourceType":"User","lastModified":"2025-06-07T08:09:10Z"},"groups":[{"value":"G1"}]}
        """;

    [Fact]
    public void A_user_the_bridge_serialises_again_with_other_whitespace_order_case_and_escapes_keeps_its_hash()
    {
        const string reserialised = """
            { "USERNAME" : "ada\u0040example.org", "active": true, "id": "U1",
              "Emails": [ { "Primary": true, "value": "ada@example.org" } ],
              "name": { "familyName": "Lovelace", "givenName": "\u0041da" },
              "schemas": [ "urn:ietf:params:scim:schemas:core:2.0:User" ] }
            """;

        Assert.Equal(UserHash(Ada), UserHash(reserialised));
    }

    [Fact]
    public void A_user_whose_meta_or_groups_alone_changed_keeps_its_hash()
    {
        var touched = Ada.Replace("2025-06-07T08:09:10Z", "2026-01-01T00:00:00Z", StringComparison.Ordinal)
            .Replace("""[{"value":"G1"}]""", """[{"value":"G1"},{"value":"G2"}]""", StringComparison.Ordinal);

        Assert.Equal(UserHash(Ada), UserHash(touched));
    }

    [Theory]
    [InlineData("\"Ada\"", "\"Augusta\"")]
    [InlineData("\"active\":true", "\"active\":false")]
    [InlineData("\"primary\":true", "\"primary\":false")]
    [InlineData("\"Lovelace\"}", "\"Lovelace\",\"middleName\":\"King\"}")]
    public void A_user_whose_own_attributes_changed_gets_a_new_hash(string before, string after)
    {
        Assert.NotEqual(UserHash(Ada), UserHash(Ada.Replace(before, after, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_user_whose_emails_come_in_another_order_gets_a_new_hash()
    {
        const string two = """{"id":"U1","emails":[{"value":"a@example.org"},{"value":"b@example.org"}]}""";
        const string swapped = """{"id":"U1","emails":[{"value":"b@example.org"},{"value":"a@example.org"}]}""";

        Assert.NotEqual(UserHash(two), UserHash(swapped));
    }

    [Fact]
    public void A_group_whose_members_alone_changed_keeps_its_hash_and_a_renamed_group_does_not()
    {
        const string owners = """{"id":"G1","displayName":"Owners","members":[{"value":"U1"}],"meta":{"resourceType":"Group"}}""";
        const string moreMembers = """{"id":"G1","displayName":"Owners","members":[{"value":"U1"},{"value":"U2"}]}""";
        const string renamed = """{"id":"G1","displayName":"Admins","members":[{"value":"U1"}]}""";

        Assert.Equal(GroupHash(owners), GroupHash(moreMembers));
        Assert.NotEqual(GroupHash(owners), GroupHash(renamed));
    }

    [Fact]
    public void Only_the_top_level_meta_and_derived_attribute_are_left_out()
    {
        const string nested = """{"id":"U1","x":{"meta":1,"groups":[1]}}""";
        const string nestedChanged = """{"id":"U1","x":{"meta":2,"groups":[2]}}""";

        Assert.NotEqual(UserHash(nested), UserHash(nestedChanged));
    }

    private static byte[] UserHash(string json) => ScimUser.Parse(Parse(json)).Hash;

    private static byte[] GroupHash(string json) => ScimGroup.Parse(Parse(json)).Hash;

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
