using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace OnePasswordConnector.Scim;

/// <summary>One piece of text PostgreSQL cannot store, replaced with U+FFFD at <paramref name="Offset"/> of the page.</summary>
/// <param name="Replaced">What was there: <c>\u0000</c>, <c>\uD800</c>, <c>0x00</c> or the invalid bytes (<c>0xC3</c>).</param>
internal readonly record struct TextRepair(int Offset, string Replaced);

/// <summary>A repair placed in the page: the resource it belongs to (-1 outside a list's Resources) and its attribute path.</summary>
internal readonly record struct LocatedRepair(int Resource, string Attribute, string Replaced);

/// <summary>
/// PostgreSQL refuses NUL in text and in jsonb (even as the escape <c>\u0000</c>), jsonb refuses lone surrogate escapes,
/// and invalid UTF-8 cannot be decoded at all; one such value from a bridge would fail every sync of its tenant. Each is
/// replaced with U+FFFD in the page itself, before it is parsed, so the columns and the raw JSON agree. Clean pages, the
/// usual case, cost one vectorised validation and a vectorised search from backslash to backslash.
/// </summary>
internal static class StorableText
{
    private static readonly byte[] ReplacementEscape = "\\uFFFD"u8.ToArray();

    private static readonly byte[] ReplacementUtf8 = [0xEF, 0xBF, 0xBD];

    /// <summary>
    /// Repairs the page in <paramref name="buffer"/> (pooled) in place or into a new pooled buffer, which then replaces
    /// it. Returns the repairs in page order, or null when the page was clean.
    /// </summary>
    public static List<TextRepair>? Repair(ref byte[] buffer, ref int length)
    {
        List<TextRepair>? repairs = null;
        var page = buffer.AsSpan(0, length);
        if (!Utf8.IsValid(page) || page.Contains((byte)0))
        {
            repairs = [];
            var output = new PooledBufferWriter(page.Length + 64);
            RepairBytes(page, repairs, output, 0);
            ArrayPool<byte>.Shared.Return(buffer);
            (buffer, length) = output.Detach();
        }

        var byteRepairs = repairs?.Count ?? 0;
        RepairEscapes(buffer.AsSpan(0, length), ref repairs, 0, final: true);
        if (repairs is not null && byteRepairs > 0 && repairs.Count > byteRepairs)
        {
            repairs.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
        }

        return repairs;
    }

    /// <summary>
    /// Invalid UTF-8 (each maximal invalid subsequence) and raw NUL bytes become U+FFFD; <paramref name="offset"/> is
    /// where <paramref name="output"/>'s first byte lies in the repaired page.
    /// </summary>
    internal static void RepairBytes(ReadOnlySpan<byte> page, List<TextRepair> repairs, PooledBufferWriter output, int offset)
    {
        var start = output.Written;
        var position = 0;
        while (position < page.Length)
        {
            var ascii = page[position..].IndexOfAnyExceptInRange((byte)0x01, (byte)0x7F);
            if (ascii < 0)
            {
                output.Write(page[position..]);
                break;
            }

            output.Write(page.Slice(position, ascii));
            position += ascii;
            var status = Rune.DecodeFromUtf8(page[position..], out _, out var consumed);
            if (status == OperationStatus.Done && page[position] != 0)
            {
                output.Write(page.Slice(position, consumed));
            }
            else
            {
                repairs.Add(new TextRepair(offset + (int)(output.Written - start), Hex(page.Slice(position, consumed))));
                output.Write(ReplacementUtf8);
            }

            position += consumed;
        }
    }

    /// <summary>
    /// <c>\u0000</c> and lone surrogate escapes become <c>\uFFFD</c>, in place: both are six bytes. Unless
    /// <paramref name="final"/>, an escape that may continue past the end is left alone: returns where it begins (the
    /// length when none does), the place to resume once more of the page arrived.
    /// </summary>
    internal static int RepairEscapes(Span<byte> page, ref List<TextRepair>? repairs, int offset, bool final)
    {
        var position = 0;
        while (true)
        {
            var next = page[position..].IndexOf((byte)'\\');
            if (next < 0)
            {
                return page.Length;
            }

            position += next;
            if (!final && page.Length < position + 12)
            {
                // \uD83D\uDE00 is the longest escape whose meaning the bytes after it can change.
                return position;
            }

            if (position + 1 >= page.Length)
            {
                return page.Length;
            }

            if (page[position + 1] != (byte)'u' || !TryHex(page, position + 2, out var unit))
            {
                // \" \\ \/ \n and the like: skipping both bytes keeps an escaped backslash from starting an escape.
                position += 2;
                continue;
            }

            if (char.IsHighSurrogate((char)unit) && page.Length >= position + 12 && page[position + 6] == (byte)'\\' &&
                page[position + 7] == (byte)'u' && TryHex(page, position + 8, out var low) && char.IsLowSurrogate((char)low))
            {
                position += 12;
                continue;
            }

            if (unit == 0 || char.IsSurrogate((char)unit))
            {
                (repairs ??= []).Add(new TextRepair(offset + position, Encoding.ASCII.GetString(page.Slice(position, 6))));
                ReplacementEscape.CopyTo(page[position..]);
            }

            position += 6;
        }
    }

    private static bool TryHex(ReadOnlySpan<byte> page, int start, out int value)
    {
        value = 0;
        return page.Length >= start + 4 &&
            int.TryParse(page.Slice(start, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        string.Join(" ", bytes.ToArray().Select(b => $"0x{b:X2}"));

    /// <summary>
    /// Finds, for each repair, the resource of a list page (its index in <c>Resources</c>) and the attribute path
    /// (<c>name.formatted</c>, <c>members.value</c>) it lies in. Only run when there were repairs.
    /// </summary>
    public static List<LocatedRepair> Locate(ReadOnlySpan<byte> page, IReadOnlyList<TextRepair> repairs)
    {
        var locator = new RepairLocator(repairs);
        var reader = new Utf8JsonReader(page, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (locator.Pending && reader.Read())
            {
                locator.Observe(ref reader, 0);
            }
        }
        catch (JsonException)
        {
            // The page is malformed; parsing it next says so, with the reason.
        }

        return locator.Located;
    }
}
