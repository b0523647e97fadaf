using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// The population digest on a run's completeness record: equal for equal directories, different after any one change,
/// and recomputable by anyone from the stored rows with the canonical form docs/api.md defines.
/// </summary>
public sealed class PopulationDigestTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static LiveBridge Team()
    {
        var bridge = new LiveBridge();
        bridge.PutUser("U1", "ada@example.org", "Ada", "Lovelace");
        bridge.PutUser("U2", "grace@example.org", "Grace", "Hopper");
        bridge.PutUser("U3", "zoe@example.org", "Zoë \"Z\"", "O\\Brien\tJr");
        bridge.PutGroup("G1", "Engineering", "U1", "U2");
        bridge.PutGroup("G2", "Owners", "U3");
        return bridge;
    }

    private async Task<string> Digest(Guid id)
    {
        var run = await app.SyncAsync(id);
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        return run.GetProperty("completeness").GetProperty("populationDigest").GetString()!;
    }

    [Fact]
    public async Task Two_syncs_of_an_unchanged_directory_give_the_same_digest_and_any_one_change_gives_another_until_it_is_undone()
    {
        using var bridge = Team();
        var id = await app.RegisterAsync(bridge.Fake);
        var first = await Digest(id);
        Assert.Equal(first, await Digest(id));

        (string Change, Action Do, Action Undo)[] changes =
        [
            ("a user attribute", () => bridge.PutUser("U2", "grace@example.org", "Grace", "Murray"),
                () => bridge.PutUser("U2", "grace@example.org", "Grace", "Hopper")),
            ("a user's status", () => bridge.PutUser("U1", "ada@example.org", "Ada", "Lovelace", active: false),
                () => bridge.PutUser("U1", "ada@example.org", "Ada", "Lovelace")),
            ("a membership", () => { bridge.RemoveMember("G1", "U2"); bridge.AddMember("G2", "U2"); },
                () => { bridge.RemoveMember("G2", "U2"); bridge.AddMember("G1", "U2"); }),
            ("a user removed", () => bridge.RemoveUser("U3"),
                () => { bridge.PutUser("U3", "zoe@example.org", "Zoë \"Z\"", "O\\Brien\tJr"); bridge.AddMember("G2", "U3"); }),
            ("a group renamed", () => bridge.PutGroup("G2", "Administrators", "U3"), () => bridge.PutGroup("G2", "Owners", "U3")),
        ];
        foreach (var (change, apply, undo) in changes)
        {
            apply();
            Assert.True(await Digest(id) != first, $"The digest did not change after {change}.");
            undo();
            Assert.True(await Digest(id) == first, $"The digest did not come back after {change} was undone.");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(700)] // past 64 KiB of canonical lines, which the service hashes in chunks
    public async Task The_digest_is_the_sha256_of_the_canonical_lines_rebuilt_from_the_stored_rows_as_the_docs_define_them(int moreUsers)
    {
        using var bridge = Team();
        foreach (var i in Enumerable.Range(1, moreUsers))
        {
            bridge.PutUser($"M{i:D4}", $"member{i}@example.org", i % 7 == 0 ? "Tab\there" : "Plain", $"Member {i}");
            bridge.AddMember("G1", $"M{i:D4}");
        }

        var id = await app.RegisterAsync(bridge.Fake);

        var digest = await Digest(id);

        var lines = new StringBuilder();
        await Lines(lines, id, """
            SELECT json_build_array('user', scim_id, user_name, external_id, given_name, family_name, formatted_name, display_name,
                primary_email, to_json(emails), active, state)::text
            FROM directory_users WHERE connection_id = @c AND removed_at IS NULL ORDER BY scim_id COLLATE "C"
            """);
        await Lines(lines, id, """
            SELECT json_build_array('group', scim_id, display_name, external_id)::text
            FROM directory_groups WHERE connection_id = @c AND removed_at IS NULL ORDER BY scim_id COLLATE "C"
            """);
        await Lines(lines, id, """
            SELECT json_build_array('member', group_id, member_id, member_type)::text
            FROM memberships WHERE connection_id = @c AND removed_at IS NULL ORDER BY group_id COLLATE "C", member_id COLLATE "C"
            """);
        Assert.Contains("""["user","U3","zoe@example.org",null,"Zoë \"Z\"","O\\Brien\tJr","Zoë \"Z\" O\\Brien\tJr",""", lines.ToString(), StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString()))), digest);
    }

    /// <summary>
    /// Each row as PostgreSQL renders it in JSON, written again compactly by System.Text.Json (escaping only what JSON
    /// requires): an implementation independent of the service's own.
    /// </summary>
    private async Task Lines(StringBuilder lines, Guid id, string sql)
    {
        var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var row in await app.QueryAsync(sql, id))
        {
            lines.Append(JsonSerializer.Serialize(JsonDocument.Parse(row).RootElement, options)).Append('\n');
        }
    }
}
