using System.Buffers;

namespace OnePasswordConnector.Scim;

/// <summary>
/// Lifts the member arrays out of a /Groups page held whole (see <see cref="ListPageReader"/>, which does the same to a
/// page as it arrives). The page that remains has <c>"members":[]</c> where each list was.
/// </summary>
internal static class MemberExtraction
{
    /// <summary>Writes the page without its member arrays into <paramref name="output"/>; returns the members per resource index.</summary>
    public static Dictionary<int, MemberList> Extract(ReadOnlySpan<byte> page, IBufferWriter<byte> output)
    {
        using var walker = new ListPageWalker(output, []);
        walker.Feed(page, final: true);
        return walker.Members;
    }
}
