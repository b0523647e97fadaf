using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace OnePasswordConnector.Scim;

/// <summary>
/// Every id one enumeration has seen, with the last pass that saw it: what the pager needs to tell a repeat. A million
/// ids held as strings in a dictionary cost about 110 bytes each, and all of them live until the enumeration ends, which
/// made this the largest thing a full sync keeps. Here each id is its bytes in shared 64 KiB blocks plus about 20 bytes
/// of table, so ids are compared exactly as before at about half the memory and with no object per id.
/// </summary>
internal sealed class SeenIds
{
    private const int BlockBytes = 64 * 1024;

    // An id is stored as UTF-8 when it is valid UTF-16; one with a lone surrogate (JSON can escape one) has no UTF-8
    // form, so it is stored as its UTF-16 code units behind a different tag, and two ids are equal exactly when their
    // stored bytes are.
    private const byte Utf8Tag = 0;
    private const byte Utf16Tag = 1;

    private readonly List<byte[]> blocks = [];
    private int blockUsed = BlockBytes;
    private int[] slots = new int[64];
    private Entry[] entries = new Entry[32];

    public int Count { get; private set; }

    /// <summary>Notes that <paramref name="pass"/> saw <paramref name="id"/>; returns the pass that saw it last before, 0 for none.</summary>
    public int See(string id, int pass)
    {
        var longest = 1 + Math.Max(Encoding.UTF8.GetMaxByteCount(id.Length), id.Length * 2);
        byte[]? rented = null;
        var buffer = longest <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(longest));
        try
        {
            var encoded = Encode(id, buffer);
            var hash = HashOf(encoded);
            var mask = slots.Length - 1;
            for (var slot = hash & mask; ; slot = (slot + 1) & mask)
            {
                var index = slots[slot] - 1;
                if (index < 0)
                {
                    Add(slot, hash, encoded, pass);
                    return 0;
                }

                ref var entry = ref entries[index];
                if (entry.Hash == hash && Bytes(entry).SequenceEqual(encoded))
                {
                    var last = entry.Pass;
                    entry.Pass = pass;
                    return last;
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The ids whose last pass is not <paramref name="pass"/>, in the order they were first seen.</summary>
    public IEnumerable<string> NotSeenBy(int pass)
    {
        for (var i = 0; i < Count; i++)
        {
            if (entries[i].Pass != pass)
            {
                yield return Decode(Bytes(entries[i]));
            }
        }
    }

    private void Add(int slot, int hash, ReadOnlySpan<byte> encoded, int pass)
    {
        if (blockUsed + encoded.Length > BlockBytes)
        {
            blocks.Add(new byte[Math.Max(BlockBytes, encoded.Length)]);
            blockUsed = 0;
        }

        encoded.CopyTo(blocks[^1].AsSpan(blockUsed));
        if (Count == entries.Length)
        {
            Array.Resize(ref entries, entries.Length * 2);
        }

        entries[Count] = new Entry(hash, blocks.Count - 1, blockUsed, encoded.Length, pass);
        blockUsed += encoded.Length;
        slots[slot] = ++Count;
        if (Count * 2 > slots.Length)
        {
            Grow();
        }
    }

    private void Grow()
    {
        slots = new int[slots.Length * 2];
        var mask = slots.Length - 1;
        for (var i = 0; i < Count; i++)
        {
            var slot = entries[i].Hash & mask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = i + 1;
        }
    }

    private ReadOnlySpan<byte> Bytes(in Entry entry) => blocks[entry.Block].AsSpan(entry.Offset, entry.Length);

    private static Span<byte> Encode(string id, Span<byte> buffer)
    {
        if (Utf8.FromUtf16(id, buffer[1..], out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done)
        {
            buffer[0] = Utf8Tag;
            return buffer[..(written + 1)];
        }

        buffer[0] = Utf16Tag;
        MemoryMarshal.AsBytes(id.AsSpan()).CopyTo(buffer[1..]);
        return buffer[..(1 + (id.Length * 2))];
    }

    // HashCode is seeded per process, so a bridge cannot choose ids that all land in one slot.
    private static int HashOf(ReadOnlySpan<byte> encoded)
    {
        var hash = default(HashCode);
        hash.AddBytes(encoded);
        return hash.ToHashCode() & int.MaxValue;
    }

    private static string Decode(ReadOnlySpan<byte> stored) => stored[0] == Utf8Tag
        ? Encoding.UTF8.GetString(stored[1..])
        : new string(MemoryMarshal.Cast<byte, char>(stored[1..]));

    private record struct Entry(int Hash, int Block, int Offset, int Length, int Pass);
}
