using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace OnePasswordConnector.Hosting;

/// <summary>
/// Checks the DataAnnotations on an endpoint's request body before its handler runs, and answers a 400
/// ValidationProblem keyed by the fields' JSON names. .NET 10's <c>AddValidation()</c> would do the checking, but keys
/// its errors by C# property name (<c>BearerToken</c>, not the <c>bearerToken</c> the caller sent), so the filter is ours.
/// </summary>
internal static class BodyValidation
{
    public static TBuilder ValidateBodies<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            var validated = factory.MethodInfo.GetParameters()
                .Select((parameter, index) => (parameter.ParameterType, index))
                .Where(p => HasRules(p.ParameterType))
                .Select(p => p.index)
                .ToArray();
            if (validated.Length == 0)
            {
                return next;
            }

            var naming = factory.ApplicationServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()
                .Value.SerializerOptions.PropertyNamingPolicy;
            return async context =>
            {
                var errors = new Dictionary<string, string[]>();
                foreach (var index in validated)
                {
                    if (context.Arguments[index] is { } body)
                    {
                        Collect(body, context.HttpContext.RequestServices, naming, errors);
                    }
                }

                return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : await next(context);
            };
        });

    /// <summary>Adds <paramref name="body"/>'s errors to <paramref name="errors"/>, keyed by JSON name.</summary>
    internal static void Collect(object body, IServiceProvider services, System.Text.Json.JsonNamingPolicy? naming, Dictionary<string, string[]> errors)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(body, new ValidationContext(body, services, items: null), results, validateAllProperties: true);
        foreach (var result in results)
        {
            foreach (var member in result.MemberNames)
            {
                var key = naming?.ConvertName(member) ?? member;
                errors[key] = errors.TryGetValue(key, out var earlier) ? [.. earlier, result.ErrorMessage!] : [result.ErrorMessage!];
            }
        }
    }

    private static bool HasRules(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.IsDefined(typeof(ValidationAttribute), inherit: true));
}
