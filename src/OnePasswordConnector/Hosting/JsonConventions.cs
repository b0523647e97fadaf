using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnePasswordConnector.Hosting;

internal static class JsonConventions
{
    public static IServiceCollection AddJsonConventions(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            options.SerializerOptions.Converters.Add(new StorableTextConverter());
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
}

/// <summary>
/// A string in a request body that PostgreSQL could not store (22021 for NUL) or that is not Unicode text, refused while
/// the body is read, so every field of every body is checked before any handler runs. The message never quotes the value.
/// </summary>
internal sealed class InvalidTextException(string problem) : JsonException(problem);

/// <summary>Reads request strings as <see cref="InvalidTextException"/> demands; writes them as System.Text.Json does.</summary>
internal sealed class StorableTextConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? Checked(ref reader) : throw new JsonException();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Checked(ref reader);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static string Checked(ref Utf8JsonReader reader)
    {
        string value;
        try
        {
            value = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new InvalidTextException(StorableText.UnpairedSurrogate);
        }

        return StorableText.Problem(value) is { } problem ? throw new InvalidTextException(problem) : value;
    }
}

/// <summary>Text PostgreSQL can store: no NUL (22021), and valid UTF-16, so that it has a UTF-8 form at all.</summary>
internal static class StorableText
{
    public const string Nul = "must not contain the NUL character (U+0000)";
    public const string UnpairedSurrogate = "must be Unicode text: it holds an unpaired surrogate escape such as \\ud800";

    /// <summary>Null when the text can be stored; otherwise what is wrong with it, as "must ...".</summary>
    public static string? Problem(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                return Nul;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return UnpairedSurrogate;
            }
        }

        return null;
    }
}
