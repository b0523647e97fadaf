using System.Buffers;
using System.Text;
using System.Text.Json;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class StorableTextTests
{
    [Theory]
    [InlineData("""{"a":"plain ASCII"}""")]
    [InlineData("""{"a":"Zoë Ångström"}""")]
    [InlineData("""{"a":"Zo\u00EB \uD83D\uDE00"}""")]
    [InlineData("""{"a":"C:\\u0000 is a path, not a NUL"}""")]
    [InlineData("""{"a":"\\\\\"\/\n"}""")]
    public void A_page_holding_only_storable_text_is_left_byte_for_byte_as_it_was(string json)
    {
        var (page, repairs) = Repair(Encoding.UTF8.GetBytes(json));

        Assert.Null(repairs);
        Assert.Equal(json, page);
    }

    [Theory]
    [InlineData("""{"a":"x\u0000y"}""", """{"a":"x\uFFFDy"}""", @"\u0000")]
    [InlineData("""{"a":"x\ud800y"}""", """{"a":"x\uFFFDy"}""", @"\ud800")]
    [InlineData("""{"a":"x\udc00\ud83d\ude00"}""", """{"a":"x\uFFFD\ud83d\ude00"}""", @"\udc00")]
    [InlineData("""{"a":"x\ud83dy"}""", """{"a":"x\uFFFDy"}""", @"\ud83d")]
    [InlineData("""{"a":"x\\\u0000"}""", """{"a":"x\\\uFFFD"}""", @"\u0000")]
    public void Nul_and_lone_surrogate_escapes_become_the_replacement_character_escape(string json, string expected, string replaced)
    {
        var (page, repairs) = Repair(Encoding.UTF8.GetBytes(json));

        Assert.Equal(expected, page);
        Assert.Equal([replaced], repairs!.Select(r => r.Replaced));
        Assert.Equal(json.IndexOf(replaced, StringComparison.Ordinal), repairs![0].Offset);
    }

    [Fact]
    public void Invalid_utf8_and_raw_nul_bytes_become_the_replacement_character()
    {
        byte[] bytes = [.. "{\"a\":\"x"u8, 0xFF, 0xC3, 0x28, 0x00, 0xE2, 0x82, .. "\"}"u8];

        var (page, repairs) = Repair(bytes);

        Assert.Equal("{\"a\":\"x\uFFFD\uFFFD(\uFFFD\uFFFD\"}", page);
        Assert.Equal(["0xFF", "0xC3", "0x00", "0xE2 0x82"], repairs!.Select(r => r.Replaced));
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(page).RootElement.ValueKind);
    }

    [Fact]
    public void Each_repair_is_placed_in_its_resource_and_attribute_path()
    {
        var json = """
            {"totalResults":2,"Resources":[
              {"id":"u1","displayName":"ok","name":{"formatted":"a\u0000b"}},
              {"id":"u2","emails":[{"value":"x\ud800"}],"na\u0000me":"y"}]}
            """;
        byte[] bytes = Encoding.UTF8.GetBytes(json);

        var (_, located) = RepairAndLocate(bytes);

        Assert.Equal(
            [new LocatedRepair(0, "name.formatted", @"\u0000"), new LocatedRepair(1, "emails.value", @"\ud800"), new LocatedRepair(1, "na\uFFFDme", @"\u0000")],
            located);
    }

    [Fact]
    public void A_single_resource_has_its_repairs_placed_outside_any_list()
    {
        var (_, located) = RepairAndLocate(Encoding.UTF8.GetBytes("""{"id":"g1","members":[{"value":"u\u0000"}]}"""));

        Assert.Equal([new LocatedRepair(-1, "members.value", @"\u0000")], located);
    }

    private static (string Page, List<TextRepair>? Repairs) Repair(byte[] bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer, 0);
        var length = bytes.Length;
        var repairs = StorableText.Repair(ref buffer, ref length);
        var page = Encoding.UTF8.GetString(buffer, 0, length);
        ArrayPool<byte>.Shared.Return(buffer);
        return (page, repairs);
    }

    private static (string Page, List<LocatedRepair> Located) RepairAndLocate(byte[] bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer, 0);
        var length = bytes.Length;
        var repairs = StorableText.Repair(ref buffer, ref length)!;
        var located = StorableText.Locate(buffer.AsSpan(0, length), repairs);
        var page = Encoding.UTF8.GetString(buffer, 0, length);
        ArrayPool<byte>.Shared.Return(buffer);
        return (page, located);
    }
}
