using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Mvc;

namespace OnePasswordConnector.Hosting;

/// <summary>
/// Checks the query string of every request before its endpoint binds it, so a bad value gets a 400 ValidationProblem
/// naming the parameter instead of the framework's binding message or a database error: NUL (U+0000) in any value
/// (PostgreSQL refuses it in text, 22021), and values the handler's typed parameters cannot take. (A NUL in the path
/// never gets this far: the server's URL decoder refuses it.)
/// </summary>
internal static class InputValidation
{
    private static readonly ConditionalWeakTable<RouteEndpoint, TypedQueryParameter[]> TypedParameters = [];

    public static WebApplication UseInputValidation(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var errors = Check(context);
            if (errors.Count == 0)
            {
                await next(context);
                return;
            }

            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(InputValidation))
                .LogInformation("Refused {Method} {Path}: invalid {Parameters}", context.Request.Method, context.Request.Path, string.Join(", ", errors.Keys));
            await TypedResults.ValidationProblem(errors).ExecuteAsync(context);
        });
        return app;
    }

    private static Dictionary<string, string[]> Check(HttpContext context)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (key, values) in context.Request.Query)
        {
            if (key.Contains('\0', StringComparison.Ordinal) || values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
            {
                errors[Shown(key)] = [$"The {Shown(key)} parameter must not contain the NUL character (U+0000)."];
            }
        }

        if (context.GetEndpoint() is RouteEndpoint endpoint)
        {
            foreach (var parameter in TypedParameters.GetValue(endpoint, Describe))
            {
                if (!errors.ContainsKey(parameter.Name) && context.Request.Query.TryGetValue(parameter.Name, out var values)
                    && parameter.Problem(values) is { } problem)
                {
                    errors[parameter.Name] = [problem];
                }
            }
        }

        return errors;
    }

    private static string Shown(string key) => key.Replace("\0", "\\0", StringComparison.Ordinal);

    /// <summary>The handler's query parameters of a type other than string: the ones binding can fail on.</summary>
    private static TypedQueryParameter[] Describe(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<MethodInfo>() is not { } handler)
        {
            return [];
        }

        var routeParameters = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var described = new List<TypedQueryParameter>();
        foreach (var parameter in handler.GetParameters())
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            var name = parameter.GetCustomAttribute<FromQueryAttribute>()?.Name ?? parameter.Name;
            if (name is null || type == typeof(string) || routeParameters.Contains(name)
                || parameter.GetCustomAttributes().Any(a => a is FromBodyAttribute or FromServicesAttribute or FromHeaderAttribute or FromRouteAttribute)
                || TryParseMethod(type) is not { } tryParse)
            {
                continue;
            }

            described.Add(new TypedQueryParameter(name, type, tryParse));
        }

        return [.. described];
    }

    /// <summary>The TryParse binding uses: with a format provider (IParsable) where the type has one, else without.</summary>
    private static MethodInfo? TryParseMethod(Type type) =>
        type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()])
        ?? type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]);

    private sealed record TypedQueryParameter(string Name, Type Type, MethodInfo TryParse)
    {
        public string? Problem(Microsoft.Extensions.Primitives.StringValues values)
        {
            if (values.Count > 1)
            {
                return $"Give the {Name} parameter once.";
            }

            var value = values.ToString();
            object?[] arguments = TryParse.GetParameters().Length == 3 ? [value, CultureInfo.InvariantCulture, null] : [value, null];
            if ((bool)TryParse.Invoke(null, arguments)!)
            {
                return null;
            }

            if (Type == typeof(bool))
            {
                return $"The {Name} parameter must be true or false.";
            }

            if (Type == typeof(Guid))
            {
                return $"The {Name} parameter must be a GUID such as 01a2253b-8d12-7ba9-86a7-3c1e516e2cf2.";
            }

            if (Type == typeof(DateTimeOffset) || Type == typeof(DateTime))
            {
                return $"The {Name} parameter must be an ISO 8601 timestamp such as 2026-06-30T23:59:59Z.";
            }

            if (Type == typeof(int) || Type == typeof(long))
            {
                var digits = value.TrimStart('-', '+');
                return digits.Length > 0 && digits.All(char.IsAsciiDigit)
                    ? $"The {Name} parameter is out of range."
                    : $"The {Name} parameter must be a whole number.";
            }

            return $"The {Name} parameter is not in the form this endpoint takes: see its description in the API reference (/swagger).";
        }
    }
}
