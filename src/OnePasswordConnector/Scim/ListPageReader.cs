using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>A list page read off the wire: the page without its member arrays (pooled), the members, the repairs.</summary>
internal sealed record ListPage(byte[] Buffer, int Length, Dictionary<int, MemberList> Members, List<LocatedRepair>? Repairs);

/// <summary>
/// Reads a /Groups page off the response stream piece by piece: the bytes go through <see cref="StreamingRepair"/>,
/// then a resumable <see cref="Utf8JsonReader"/> lifts each group's member ids into a <see cref="MemberList"/> and
/// copies the rest of the page, with <c>"members":[]</c> where each list was. A group of a million members is never
/// held as JSON, only as its ids; what is held as JSON is the page without them, usually a few kilobytes a group.
/// </summary>
internal static class ListPageReader
{
    private const int PieceSize = 64 * 1024;

    /// <exception cref="JsonException">The page is not JSON.</exception>
    /// <exception cref="InvalidDataException">The page is longer than <paramref name="maxBytes"/>.</exception>
    public static async Task<ListPage> ReadAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: PieceSize, minimumReadSize: PieceSize / 4, leaveOpen: true));
        using var repair = new StreamingRepair();
        var output = new PooledBufferWriter(16 * 1024);
        try
        {
            using var walker = new ListPageWalker(output, repair.Repairs);
            long read = 0;
            while (true)
            {
                var result = await pipe.ReadAsync(cancellationToken);
                foreach (var piece in result.Buffer)
                {
                    read += piece.Length;
                    if (read > maxBytes)
                    {
                        throw new InvalidDataException($"The page is longer than {maxBytes} bytes.");
                    }

                    walker.Feed(repair.Push(piece.Span, final: false), final: false);
                }

                pipe.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    walker.Feed(repair.Push([], final: true), final: true);
                    break;
                }
            }

            await pipe.CompleteAsync();
            var (buffer, length) = output.Detach();
            return new ListPage(buffer, length, walker.Members, repair.Repairs.Count > 0 ? walker.Located : null);
        }
        catch
        {
            output.Return();
            await pipe.CompleteAsync();
            throw;
        }
    }
}

/// <summary>
/// The token walk of <see cref="ListPageReader"/>, fed the page piece by piece. Depths are the reader's: the page's
/// attributes at 1, each resource at 2 and its attributes at 3, a member at 4 and its attributes at 5.
/// </summary>
internal sealed class ListPageWalker(IBufferWriter<byte> output, IReadOnlyList<TextRepair> repairs) : IDisposable
{
    private static readonly byte[] EmptyArray = "[]"u8.ToArray();

    private readonly ByteWindow window = new(16 * 1024);
    private readonly RepairLocator locator = new(repairs);
    private JsonReaderState state = new(new JsonReaderOptions { MaxDepth = 64 });
    private long windowOffset;
    private long copied;
    private bool inResources;
    private bool membersNext;
    private int resource = -1;
    private MemberList? members;
    private bool inMember;
    private MemberAttribute attribute;
    private byte[] id = new byte[64];
    private int idLength;
    private bool isGroup;

    private enum MemberAttribute
    {
        Other,
        Value,
        Type,
    }

    /// <summary>Member lists by the index of their group in <c>Resources</c>; a group without a members array has none.</summary>
    public Dictionary<int, MemberList> Members { get; } = [];

    public List<LocatedRepair> Located => locator.Located;

    public void Feed(ReadOnlySpan<byte> bytes, bool final)
    {
        window.Append(bytes);
        var reader = new Utf8JsonReader(window.Span, final, state);
        while (reader.Read())
        {
            locator.Observe(ref reader, windowOffset);
            Take(ref reader);
        }

        var consumed = final ? window.Length : (int)reader.BytesConsumed;
        if (members is null)
        {
            output.Write(window.Span[(int)(copied - windowOffset)..consumed]);
        }

        state = reader.CurrentState;
        window.Consume(consumed);
        windowOffset += consumed;
        copied = windowOffset;
    }

    private void Take(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        if (members is not null)
        {
            TakeMember(ref reader, depth);
            return;
        }

        if (membersNext)
        {
            membersNext = false;
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                // A value other than an array (null, say) stays in the page: it says nothing about who the members are.
                var start = windowOffset + reader.TokenStartIndex;
                output.Write(window.Span[(int)(copied - windowOffset)..(int)(start - windowOffset)]);
                output.Write(EmptyArray);
                members = new MemberList();
                return;
            }
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName when depth == 1:
                inResources = Is(ref reader, "Resources");
                break;
            case JsonTokenType.StartObject when inResources && depth == 2:
                resource++;
                break;
            case JsonTokenType.EndArray when depth == 1:
                inResources = false;
                break;
            case JsonTokenType.PropertyName when inResources && depth == 3:
                membersNext = Is(ref reader, "members");
                break;
        }
    }

    private void TakeMember(ref Utf8JsonReader reader, int depth)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.EndArray when depth == 3:
                Members[resource] = members!.Seal();
                members = null;
                copied = windowOffset + reader.BytesConsumed;
                break;
            case JsonTokenType.StartObject when depth == 4:
                inMember = true;
                idLength = 0;
                isGroup = false;
                attribute = MemberAttribute.Other;
                break;
            case JsonTokenType.EndObject when depth == 4:
                if (inMember && idLength > 0)
                {
                    members!.Add(id.AsSpan(0, idLength), isGroup);
                }

                inMember = false;
                break;
            case JsonTokenType.PropertyName when inMember && depth == 5:
                attribute = Is(ref reader, "value") ? MemberAttribute.Value : Is(ref reader, "type") ? MemberAttribute.Type : MemberAttribute.Other;
                break;
            case JsonTokenType.String or JsonTokenType.Number when inMember && depth == 5 && attribute == MemberAttribute.Value:
                if (id.Length < reader.ValueSpan.Length)
                {
                    id = new byte[Math.Max(reader.ValueSpan.Length, id.Length * 2)];
                }

                idLength = reader.TokenType == JsonTokenType.String ? reader.CopyString(id) : Copy(reader.ValueSpan, id);
                break;
            case JsonTokenType.String when inMember && depth == 5 && attribute == MemberAttribute.Type:
                isGroup |= Is(ref reader, "Group");
                break;
        }
    }

    private static int Copy(ReadOnlySpan<byte> from, byte[] to)
    {
        from.CopyTo(to);
        return from.Length;
    }

    /// <summary>SCIM attribute names and the member type are case-insensitive (RFC 7643 §2.1, §4.2).</summary>
    private static bool Is(ref Utf8JsonReader reader, string name)
    {
        if (reader.ValueIsEscaped || reader.ValueSpan.Length != name.Length)
        {
            return reader.ValueIsEscaped && string.Equals(reader.GetString(), name, StringComparison.OrdinalIgnoreCase);
        }

        var span = reader.ValueSpan;
        for (var i = 0; i < span.Length; i++)
        {
            if ((span[i] | 0x20) != (name[i] | 0x20))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose() => window.Dispose();
}
