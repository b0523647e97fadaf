using System.Buffers;
using System.Text.Unicode;

namespace OnePasswordConnector.Scim;

/// <summary>
/// <see cref="StorableText.Repair"/> for a page that arrives in pieces: the same repairs at the same offsets, whatever
/// the pieces. A piece may end inside a UTF-8 sequence or an escape whose meaning the next bytes decide
/// (<c>\uD83D</c> is lone or the first half of a pair); those bytes wait for the next piece.
/// </summary>
internal sealed class StreamingRepair : IDisposable
{
    private readonly ByteWindow raw = new(1024);
    private readonly ByteWindow repaired = new(16 * 1024);
    private readonly List<TextRepair> held = [];
    private int repairedOffset;
    private int released;

    /// <summary>The repairs of the bytes handed out so far, in page order.</summary>
    public List<TextRepair> Repairs { get; } = [];

    /// <summary>Takes the next piece; returns the repaired bytes that are now certain, valid until the next call.</summary>
    public ReadOnlySpan<byte> Push(ReadOnlySpan<byte> piece, bool final)
    {
        repaired.Consume(released);
        repairedOffset += released;
        raw.Append(piece);
        var complete = final ? raw.Length : CompleteUtf8(raw.Span);
        var bytes = raw.Span[..complete];
        if (Utf8.IsValid(bytes) && !bytes.Contains((byte)0))
        {
            repaired.Append(bytes);
        }
        else
        {
            var output = new PooledBufferWriter(bytes.Length + 64);
            try
            {
                StorableText.RepairBytes(bytes, held, output, repairedOffset + repaired.Length);
                var (buffer, length) = output.Detach();
                repaired.Append(buffer.AsSpan(0, length));
            }
            finally
            {
                output.Return();
            }
        }

        raw.Consume(complete);
        List<TextRepair>? escapes = null;
        released = StorableText.RepairEscapes(repaired.Span, ref escapes, repairedOffset, final);
        held.AddRange(escapes ?? []);
        if (held.Count > 0)
        {
            held.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
            var ready = held.FindIndex(r => r.Offset >= repairedOffset + released) is var at and >= 0 ? at : held.Count;
            Repairs.AddRange(held.GetRange(0, ready));
            held.RemoveRange(0, ready);
        }

        return repaired.Span[..released];
    }

    /// <summary>The length of <paramref name="bytes"/> without a UTF-8 sequence that the next piece may complete.</summary>
    private static int CompleteUtf8(ReadOnlySpan<byte> bytes)
    {
        for (var at = bytes.Length - 1; at >= 0 && at >= bytes.Length - 4; at--)
        {
            var lead = bytes[at];
            if (lead < 0x80)
            {
                break;
            }

            if (lead >= 0xC0)
            {
                var needs = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                return at + needs > bytes.Length ? at : bytes.Length;
            }
        }

        return bytes.Length;
    }

    public void Dispose()
    {
        raw.Dispose();
        repaired.Dispose();
    }
}

/// <summary>Bytes appended at the end and consumed from the front, in one pooled array that grows only as needed.</summary>
internal sealed class ByteWindow(int initialCapacity) : IDisposable
{
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    private int start;
    private int end;

    public int Length => end - start;

    public Span<byte> Span => buffer.AsSpan(start, end - start);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > buffer.Length - end)
        {
            var length = Length;
            if (length + bytes.Length > buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(length + bytes.Length, buffer.Length * 2));
                Span.CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            else
            {
                Span.CopyTo(buffer);
            }

            start = 0;
            end = length;
        }

        bytes.CopyTo(buffer.AsSpan(end));
        end += bytes.Length;
    }

    public void Consume(int count)
    {
        start += count;
        if (start == end)
        {
            start = end = 0;
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
