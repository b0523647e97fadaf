using System.Buffers.Binary;
using System.Collections;
using System.Security.Cryptography;
using System.Text;

namespace OnePasswordConnector.Scim;

/// <summary>
/// A group's members as read off a list page: each id kept as its UTF-8 bytes in small segments, about 40 bytes a
/// member where a <see cref="ScimMember"/> with its string costs three times that and a parsed member array ten times.
/// <see cref="Seal"/> drops repeated ids (the first listing wins, as one membership) and takes the digest the sync
/// compares with the stored one, so neither needs the members as strings. Enumerating yields members in the order
/// the bridge listed them, one short-lived string at a time.
/// </summary>
internal sealed class MemberList : IReadOnlyList<ScimMember>
{
    // A record: flags (1 = group), the id's length (4 bytes, little endian), the id. Positions are segment * 65536 +
    // offset, so no segment may start a record past 64 KiB; a longer id gets a segment of its own.
    private const int MaxSegment = 64 * 1024;
    private const int Header = 5;

    private readonly List<byte[]> segments = [];
    private int[] positions = new int[8];
    private int added;
    private int used;
    private int[]? unique;
    private byte[]? digest;

    /// <summary>The members once sealed: repeated ids counted once.</summary>
    public int Count => unique?.Length ?? added;

    /// <summary>The SHA-256 of the sorted <c>Type:Id</c> lines, as <c>SyncStaging.MembersHash</c> takes it of any list.</summary>
    public byte[] Digest => digest ?? throw new InvalidOperationException("The member list is not sealed yet.");

    public ScimMember this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count);
            var id = Record(unique?[index] ?? index, out var isGroup);
            return new ScimMember(Encoding.UTF8.GetString(id), isGroup ? "Group" : "User");
        }
    }

    /// <summary>A member's id as the UTF-8 bytes it was read as, for writers that need no string of it.</summary>
    public ReadOnlyMemory<byte> IdUtf8(int index, out bool isGroup)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count);
        var position = positions[unique?[index] ?? index];
        var segment = segments[position >> 16];
        var offset = position & 0xFFFF;
        isGroup = segment[offset] == 1;
        return segment.AsMemory(offset + Header, BinaryPrimitives.ReadInt32LittleEndian(segment.AsSpan(offset + 1)));
    }

    public void Add(ReadOnlySpan<byte> idUtf8, bool isGroup)
    {
        if (digest is not null)
        {
            throw new InvalidOperationException("The member list is sealed.");
        }

        var size = Header + idUtf8.Length;
        if (segments.Count == 0 || used + size > segments[^1].Length)
        {
            var next = segments.Count == 0 ? 256 : Math.Min(segments[^1].Length * 2, MaxSegment);
            segments.Add(new byte[Math.Max(next, size)]);
            used = 0;
            if (segments.Count > short.MaxValue)
            {
                throw new InvalidOperationException("A member list is limited to 2 GB of ids.");
            }
        }

        var segment = segments[^1];
        segment[used] = isGroup ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(segment.AsSpan(used + 1), idUtf8.Length);
        idUtf8.CopyTo(segment.AsSpan(used + Header));
        if (added == positions.Length)
        {
            Array.Resize(ref positions, added * 2);
        }

        positions[added++] = ((segments.Count - 1) << 16) | used;
        used += size;
    }

    /// <summary>Drops repeated ids and takes the digest; the list is read-only from then on.</summary>
    public MemberList Seal()
    {
        if (digest is not null)
        {
            return this;
        }

        // Sorted by id, then by arrival: the first listing of an id leads its run, and the digest's order is the id's.
        var order = new int[added];
        for (var i = 0; i < added; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => CompareIds(Record(a, out _), Record(b, out _)) is var byId and not 0 ? byId : a.CompareTo(b));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var repeated = 0;
        var dropped = new BitArray(added);
        for (var k = 0; k < order.Length; k++)
        {
            var id = Record(order[k], out var isGroup);
            if (k > 0 && id.SequenceEqual(Record(order[k - 1], out _)))
            {
                dropped[order[k]] = true;
                repeated++;
                continue;
            }

            hash.AppendData(isGroup ? "Group:"u8 : "User:"u8);
            hash.AppendData(id);
            hash.AppendData("\n"u8);
        }

        digest = hash.GetHashAndReset();
        if (repeated > 0)
        {
            unique = new int[added - repeated];
            for (int i = 0, u = 0; i < added; i++)
            {
                if (!dropped[i])
                {
                    unique[u++] = i;
                }
            }
        }

        positions = positions.Length > added ? positions[..added] : positions;
        return this;
    }

    public IEnumerator<ScimMember> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private ReadOnlySpan<byte> Record(int index, out bool isGroup)
    {
        var position = positions[index];
        var record = segments[position >> 16].AsSpan(position & 0xFFFF);
        isGroup = record[0] == 1;
        return record.Slice(Header, BinaryPrimitives.ReadInt32LittleEndian(record[1..]));
    }

    /// <summary>
    /// Orders UTF-8 ids as <see cref="string.CompareOrdinal(string, string)"/> orders them as UTF-16, so the digest
    /// is the one stored groups already carry. Byte order is code point order, which is UTF-16 order except between
    /// U+E000..U+FFFF (lead bytes 0xEE, 0xEF) and the supplementary planes: only there are both ids decoded.
    /// </summary>
    internal static int CompareIds(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var common = a.CommonPrefixLength(b);
        if (common == a.Length || common == b.Length)
        {
            return a.Length - b.Length;
        }

        int x = a[common], y = b[common];
        if (x < 0x80 || y < 0x80 || (x is >= 0xC0 and < 0xEE && y is >= 0xC0 and < 0xEE))
        {
            return x - y;
        }

        return string.CompareOrdinal(Encoding.UTF8.GetString(a), Encoding.UTF8.GetString(b));
    }
}
