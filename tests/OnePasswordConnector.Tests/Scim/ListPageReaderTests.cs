using System.Buffers;
using System.Text;
using System.Text.Json;
using OnePasswordConnector.Scim;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Tests.Scim;

public sealed class ListPageReaderTests
{
    // Escapes of every kind, a surrogate pair, a lone surrogate, a NUL escape, raw invalid UTF-8 and a raw NUL,
    // multi-byte text, a nested member attribute, a repeated member, a numeric id, a null member list.
    private static readonly byte[] Tricky = [.. Encoding.UTF8.GetBytes("""
        {"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":4,"Resources":[
          {"id":"g1","displayName":"Zoë \u00c5ngstr\u00f6m \uD83D\uDE00","members":[
            {"value":"U\u0031","display":"Ada \"the\" first","type":"User"},
            {"v\u0061lue":"a\\b\/c","$ref":"https://bridge/Users/a%5Cb","type":"user"},
            {"value":"\uD83D\uDE00-\uE000-\uFFFF","display":"x\u0000y","type":"Group"},
            {"display":"no id","nested":{"value":"not this"},"value":"Søren"},
            {"value":"U1","type":"Group"},
            {"value":42},"stray",[{"value":"inside an array"}]]},
          {"id":"g2","displayName":"lone \ud800 surrogate","members":null},
          {"id":"g3","displayName":"bytes:
        """), 0xFF, 0xC3, 0x28, 0x00, 0xE2, 0x82, .. Encoding.UTF8.GetBytes("""
        ","members":[{"value":"u\ud800x","TYPE":"GROUP"},{"Value":"é\u00e9"}],"meta":{"members":[{"value":"meta"}]}},
          {"id":"g4","members":[]}],
        "itemsPerPage":4}
        """)];

    [Fact]
    public void A_page_split_at_every_byte_boundary_reads_exactly_as_the_whole_page()
    {
        var whole = Read([Tricky]);

        for (var at = 1; at < Tricky.Length; at++)
        {
            var split = Read([Tricky[..at], Tricky[at..]]);

            Assert.True(whole.Equals(split), $"split at byte {at}: {split} differs from {whole}");
        }
    }

    [Fact]
    public void A_page_arriving_one_byte_at_a_time_reads_exactly_as_the_whole_page()
    {
        Assert.Equal(Read([Tricky]), Read(Tricky.Select(b => new[] { b })));
    }

    [Fact]
    public void Members_and_repairs_read_off_the_stream_are_those_of_the_repaired_page_parsed_whole()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Tricky.Length);
        Tricky.CopyTo(buffer, 0);
        var length = Tricky.Length;
        var repairs = StorableText.Repair(ref buffer, ref length)!;
        var located = StorableText.Locate(buffer.AsSpan(0, length), repairs);
        using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
        var groups = document.RootElement.GetProperty("Resources").EnumerateArray().Select(r => ScimGroup.Parse(r)).ToList();

        var streamed = Read(Tricky.Chunk(7));

        Assert.Equal(located, streamed.Repairs);
        Assert.Equal(groups[0].Members, streamed.Members[0]);
        Assert.False(streamed.Members.ContainsKey(1));
        Assert.Equal(groups[2].Members, streamed.Members[2]);
        Assert.Empty(streamed.Members[3]);
        Assert.Equal(["U1", @"a\b/c", "\uD83D\uDE00-\uE000-\uFFFF", "Søren", "42"], streamed.Members[0].Select(m => m.Id));
        Assert.Equal(["User", "User", "Group", "User", "User"], streamed.Members[0].Select(m => m.Type));
        ArrayPool<byte>.Shared.Return(buffer);
    }

    [Fact]
    public async Task A_group_of_200000_members_arrives_as_ids_and_the_page_keeps_only_an_empty_list()
    {
        const int count = 200_000;
        var ids = string.Join(",", Enumerable.Range(0, count).Select(i => $$"""{"value":"user-{{i:D7}}","display":"Person {{i}}","type":"User"}"""));
        var json = Encoding.UTF8.GetBytes($$$"""{"totalResults":1,"Resources":[{"id":"big","displayName":"Everyone","members":[{{{ids}}}],"meta":{"resourceType":"Group"}}]}""");
        await using var body = new TrickleStream(json, 4096);

        var page = await ListPageReader.ReadAsync(body, long.MaxValue, CancellationToken.None);

        var members = page.Members[0];
        Assert.Equal(count, members.Count);
        Assert.Equal(new ScimMember("user-0000000", "User"), members[0]);
        Assert.Equal(new ScimMember("user-0199999", "User"), members[count - 1]);
        Assert.Equal(SyncStaging.MembersHash(members.ToList()), members.Digest);
        Assert.Equal("""{"totalResults":1,"Resources":[{"id":"big","displayName":"Everyone","members":[],"meta":{"resourceType":"Group"}}]}""",
            Encoding.UTF8.GetString(page.Buffer, 0, page.Length));
        ArrayPool<byte>.Shared.Return(page.Buffer);
    }

    [Fact]
    public async Task A_page_longer_than_the_limit_is_refused_while_it_is_read()
    {
        await using var body = new TrickleStream(Tricky, 16);

        await Assert.ThrowsAsync<InvalidDataException>(() => ListPageReader.ReadAsync(body, Tricky.Length - 1, CancellationToken.None));
    }

    [Fact]
    public async Task A_page_cut_short_is_malformed_JSON()
    {
        await using var body = new TrickleStream(Tricky[..(Tricky.Length / 2)], 100);

        await Assert.ThrowsAnyAsync<JsonException>(() => ListPageReader.ReadAsync(body, long.MaxValue, CancellationToken.None));
    }

    /// <summary>What a page read in the given pieces yields, in a form that compares by value.</summary>
    private static PageRead Read(IEnumerable<byte[]> pieces)
    {
        using var repair = new StreamingRepair();
        var output = new ArrayBufferWriter<byte>();
        using var walker = new ListPageWalker(output, repair.Repairs);
        foreach (var piece in pieces)
        {
            walker.Feed(repair.Push(piece, final: false), final: false);
        }

        walker.Feed(repair.Push([], final: true), final: true);
        return new PageRead(
            Encoding.UTF8.GetString(output.WrittenSpan),
            walker.Members.ToDictionary(m => m.Key, m => m.Value.ToList()),
            [.. walker.Located],
            repair.Repairs.Select(r => r.Offset).ToList());
    }

    private sealed record PageRead(string Page, Dictionary<int, List<ScimMember>> Members, List<LocatedRepair> Repairs, List<int> Offsets)
    {
        public bool Equals(PageRead? other) =>
            other is not null && Page == other.Page && Repairs.SequenceEqual(other.Repairs) && Offsets.SequenceEqual(other.Offsets) &&
            Members.Count == other.Members.Count && Members.All(m => other.Members.TryGetValue(m.Key, out var o) && m.Value.SequenceEqual(o));

        public override int GetHashCode() => Page.GetHashCode(StringComparison.Ordinal);

        public override string ToString() =>
            $"{Page.Length} bytes, {Repairs.Count} repairs at {string.Join(",", Offsets)}, members {string.Join(";", Members.Select(m => $"{m.Key}:{string.Join(",", m.Value.Select(v => v.Id))}"))}";
    }
}

/// <summary>A response body that hands out at most a few bytes per read, as a slow network does.</summary>
internal sealed class TrickleStream(byte[] content, int perRead) : Stream
{
    private int position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => content.Length;

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(perRead, buffer.Length), content.Length - position);
        content.AsSpan(position, n).CopyTo(buffer);
        position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
