using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnePasswordConnector.TestSupport;

/// <summary>The service's JSON conventions, for reading its responses into its own records (enums as snake_case words).</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };
}
