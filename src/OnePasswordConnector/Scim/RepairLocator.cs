using System.Text;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>
/// Places text repairs (see <see cref="StorableText"/>) in the resource and attribute path they lie in, token by
/// token, so that a page read in pieces is placed as it is read. <paramref name="repairs"/> may grow while tokens are
/// observed, as long as it grows in page order ahead of them. Property names are kept as bytes until one names an open
/// container or a repair, so a page without repairs costs no string per attribute.
/// </summary>
internal sealed class RepairLocator(IReadOnlyList<TextRepair> repairs)
{
    private readonly List<string?> containers = [];
    private byte[] pendingName = new byte[64];
    private int pendingLength = -1;
    private int resource = -1;
    private int next;

    public List<LocatedRepair> Located { get; } = [];

    /// <summary>Whether a repair is still to be placed.</summary>
    public bool Pending => next < repairs.Count;

    /// <param name="offset">Where the reader's input begins in the page.</param>
    public void Observe(ref Utf8JsonReader reader, long offset)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                if (reader.TokenType == JsonTokenType.StartObject && InResources && containers.Count == 2)
                {
                    resource++;
                }

                containers.Add(PendingName());
                pendingLength = -1;
                return;
            case JsonTokenType.EndObject or JsonTokenType.EndArray:
                containers.RemoveAt(containers.Count - 1);
                pendingLength = -1;
                return;
            case JsonTokenType.PropertyName:
                var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (pendingName.Length < length)
                {
                    pendingName = new byte[Math.Max(length, pendingName.Length * 2)];
                }

                pendingLength = reader.CopyString(pendingName);
                break;
        }

        var start = offset + reader.TokenStartIndex;
        var end = offset + reader.BytesConsumed;
        while (next < repairs.Count && repairs[next].Offset < end)
        {
            if (repairs[next].Offset >= start)
            {
                Located.Add(new LocatedRepair(InResources && containers.Count >= 3 ? resource : -1, Path(), repairs[next].Replaced));
            }

            next++;
        }

        if (reader.TokenType != JsonTokenType.PropertyName)
        {
            pendingLength = -1;
        }
    }

    private bool InResources => containers.Count >= 2 && string.Equals(containers[1], "Resources", StringComparison.OrdinalIgnoreCase);

    private string? PendingName() => pendingLength < 0 ? null : Encoding.UTF8.GetString(pendingName, 0, pendingLength);

    private string Path()
    {
        var skip = InResources && containers.Count >= 3 ? 3 : 1;
        var names = containers.Skip(skip).Where(n => n is not null).Append(PendingName()).Where(n => n is not null);
        return string.Join('.', names);
    }
}
