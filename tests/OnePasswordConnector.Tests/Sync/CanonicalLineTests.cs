using System.Security.Cryptography;
using System.Text;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Tests.Sync;

/// <summary>The canonical form of the population digest, byte for byte as docs/api.md shows it.</summary>
public sealed class CanonicalLineTests
{
    [Fact]
    public void The_worked_example_of_the_docs_gives_the_digest_the_docs_show()
    {
        var line = new CanonicalLine();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var text = new StringBuilder();

        line.Start("user");
        foreach (var value in new[] { "U1", "ada@example.org", null, "Ada", "Lovelace", "Ada Lovelace", "Ada Lovelace", "ada@example.org" })
        {
            line.String(value);
        }

        line.Strings(["ada@example.org"]);
        line.Boolean(true);
        line.String(null);
        Append(line, hash, text);
        line.Start("group");
        line.String("G1");
        line.String("Engineering");
        line.String(null);
        Append(line, hash, text);
        line.Start("member");
        line.String("G1");
        line.String("U1");
        line.String("User");
        Append(line, hash, text);

        Assert.Equal("""
            ["user","U1","ada@example.org",null,"Ada","Lovelace","Ada Lovelace","Ada Lovelace","ada@example.org",["ada@example.org"],true,null]
            ["group","G1","Engineering",null]
            ["member","G1","U1","User"]

            """.ReplaceLineEndings("\n"), text.ToString());
        Assert.Equal("4f7f07928d29e45e31dfe78c3df25092a18f4766e9c30038511703f26eea4d32", Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    [Fact]
    public void Strings_escape_only_what_json_requires_with_short_escapes_and_lowercase_hex()
    {
        var line = new CanonicalLine();
        line.Start("user");
        line.String("a\u001f\"\\\t\b\f\n\ré/<>&\u2028😀");
        line.Strings([]);
        line.Boolean(false);

        Assert.Equal("[\"user\",\"a\\u001f\\\"\\\\\\t\\b\\f\\n\\ré/<>&\u2028😀\",[],false]\n", Encoding.UTF8.GetString(line.End()));
    }

    private static void Append(CanonicalLine line, IncrementalHash hash, StringBuilder text)
    {
        var bytes = line.End();
        hash.AppendData(bytes);
        text.Append(Encoding.UTF8.GetString(bytes));
    }
}
