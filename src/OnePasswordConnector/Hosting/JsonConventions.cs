using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnePasswordConnector.Hosting;

internal static class JsonConventions
{
    public static IServiceCollection AddJsonConventions(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
}
