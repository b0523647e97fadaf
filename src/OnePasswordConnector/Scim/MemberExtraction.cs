using System.Buffers;
using System.Text;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>
/// Lifts the member arrays out of a /Groups page before it is parsed into a document. A group of 100,000 embedded
/// members is one object; held in a JsonDocument it costs several times its size in token metadata, while as a list
/// of ids it costs what the ids cost. The page that remains has <c>"members":[]</c> where each list was.
/// </summary>
internal static class MemberExtraction
{
    private static readonly byte[] EmptyArray = "[]"u8.ToArray();

    /// <summary>Writes the page without its member arrays into <paramref name="output"/>; returns the members per resource index.</summary>
    public static Dictionary<int, List<ScimMember>> Extract(ReadOnlySpan<byte> page, IBufferWriter<byte> output)
    {
        var members = new Dictionary<int, List<ScimMember>>();
        var reader = new Utf8JsonReader(page, new JsonReaderOptions { MaxDepth = 64 });
        var copied = 0;
        var inResources = false;
        var resource = -1;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                    inResources = reader.ValueTextEquals("Resources"u8) || Equals(ref reader, "resources");
                    break;
                case JsonTokenType.StartObject when inResources && reader.CurrentDepth == 2:
                    resource++;
                    break;
                case JsonTokenType.EndArray when reader.CurrentDepth == 1:
                    inResources = false;
                    break;
                case JsonTokenType.PropertyName when inResources && reader.CurrentDepth == 3 && Equals(ref reader, "members"):
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        break;
                    }

                    var start = (int)reader.TokenStartIndex;
                    members[resource] = ReadMembers(ref reader);
                    var end = (int)reader.BytesConsumed;
                    output.Write(page[copied..start]);
                    output.Write(EmptyArray);
                    copied = end;
                    break;
            }
        }

        output.Write(page[copied..]);
        return members;
    }

    private static List<ScimMember> ReadMembers(ref Utf8JsonReader reader)
    {
        var members = new List<ScimMember>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            string? id = null;
            var type = "User";
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var isValue = Equals(ref reader, "value");
                var isType = !isValue && Equals(ref reader, "type");
                reader.Read();
                if (isValue && reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                {
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan);
                }
                else if (isType && reader.TokenType == JsonTokenType.String && string.Equals(reader.GetString(), "Group", StringComparison.OrdinalIgnoreCase))
                {
                    type = "Group";
                }
                else
                {
                    reader.Skip();
                }
            }

            if (!string.IsNullOrEmpty(id) && seen.Add(id))
            {
                members.Add(new ScimMember(id, type));
            }
        }

        return members;
    }

    /// <summary>SCIM attribute names are case-insensitive (RFC 7643 §2.1).</summary>
    private static bool Equals(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.PropertyName || reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length != name.Length)
        {
            return reader.TokenType == JsonTokenType.PropertyName && string.Equals(reader.GetString(), name, StringComparison.OrdinalIgnoreCase);
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
}
