using System.Buffers;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>A parsed SCIM answer and the pooled buffer it lives in; dispose it when done with its elements.</summary>
internal sealed class ScimDocument(
    JsonDocument document, byte[] buffer, IReadOnlyDictionary<int, MemberList>? members = null, IReadOnlyList<LocatedRepair>? repairs = null)
    : IDisposable
{
    public JsonElement RootElement => document.RootElement;

    /// <summary>Member lists lifted out of a list page, by the index of their resource in <c>Resources</c>.</summary>
    public IReadOnlyDictionary<int, MemberList>? ExtractedMembers => members;

    /// <summary>Text replaced with U+FFFD because PostgreSQL cannot store it (see <see cref="StorableText"/>); null when none was.</summary>
    public IReadOnlyList<LocatedRepair>? Repairs => repairs;

    /// <summary>The repairs within one resource of a list page; -1 for those of a single resource's document.</summary>
    public IReadOnlyList<LocatedRepair>? RepairsOf(int resource) =>
        repairs?.Where(r => r.Resource == resource).ToList() is { Count: > 0 } found ? found : null;

    public void Dispose()
    {
        document.Dispose();
        ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>A growable buffer rented from the shared pool; <see cref="Detach"/> hands the array over to its next owner.</summary>
internal sealed class PooledBufferWriter(int initialCapacity) : IBufferWriter<byte>
{
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    private int written;

    public void Advance(int count) => written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return buffer.AsMemory(written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return buffer.AsSpan(written);
    }

    public long Written => written;

    public (byte[] Buffer, int Length) Detach() => (buffer, written);

    /// <summary>Gives the array back to the pool, when nothing was handed over.</summary>
    public void Return()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
        written = 0;
    }

    private void Ensure(int sizeHint)
    {
        var needed = written + Math.Max(sizeHint, 1);
        if (needed > buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
            buffer.AsSpan(0, written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
    }
}
