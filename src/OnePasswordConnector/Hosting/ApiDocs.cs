using System.Reflection;
using Microsoft.OpenApi;

namespace OnePasswordConnector.Hosting;

internal static class ApiDocs
{
    public static IServiceCollection AddApiDocs(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        // Describe what the endpoints write: the minimal APIs' JSON options (enums as snake_case strings), not MVC's.
        services.AddTransient<Swashbuckle.AspNetCore.SwaggerGen.ISerializerDataContractResolver>(sp =>
            new Swashbuckle.AspNetCore.SwaggerGen.JsonSerializerDataContractResolver(
                sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions));
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "OnePasswordConnector",
                Version = "v1",
                Description = "Registers tenants' 1Password SCIM Bridges, syncs their users and groups into PostgreSQL, " +
                              "and answers access-review questions over the synced history. Authorize with your API key.",
            });
            options.AddSecurityDefinition(ApiKeyAuthentication.Scheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthentication.HeaderName,
                Description = "The API key issued to you (only its SHA-256 is configured on the service).",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthentication.Scheme, document)] = [],
            });
            options.OperationFilter<TenantRouteDocumentation>();
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml))
            {
                options.IncludeXmlComments(xml);
            }
        });
        return services;
    }

    public static WebApplication UseApiDocs(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/swagger/v1/swagger.json", "OnePasswordConnector v1");
            options.DocumentTitle = "OnePasswordConnector API";
            options.EnableTryItOutByDefault();
        });
        return app;
    }
}

/// <summary>What every tenant route shares: its path parameters, and the 401, 404 and 429 problems it can answer.</summary>
internal sealed partial class TenantRouteDocumentation : Swashbuckle.AspNetCore.SwaggerGen.IOperationFilter
{
    private static readonly Dictionary<string, (string Description, string Example)> Parameters = new()
    {
        ["tenantId"] = ("The tenant (the platform's customer) the call is about. A tenant's API key may only name its own tenant.", "acme"),
        ["connectionId"] = ("A connection id, as returned when the bridge was registered.", "01a2253b-8d12-7ba9-86a7-3c1e516e2cf2"),
        ["runId"] = ("A sync run id, from the Location of POST .../syncs or from GET .../syncs.", "01a2253b-a30f-7eae-bbae-07f9b05e7c16"),
        ["userId"] = ("The user's SCIM id on the bridge.", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        ["groupId"] = ("The group's SCIM id on the bridge.", "abcdefghijklmnopqrstuvwxyz"),
        ["webhookId"] = ("A webhook subscription id, as returned by POST .../webhooks.", "01a2253c-4f1e-7d2a-9b3c-5e6f7a8b9c0d"),
        ["deliveryId"] = ("A delivery id, from GET .../webhooks/{webhookId}/deliveries.", "01a2253c-6a7b-7c8d-9e0f-1a2b3c4d5e6f"),
    };

    public void Apply(OpenApiOperation operation, Swashbuckle.AspNetCore.SwaggerGen.OperationFilterContext context)
    {
        if (context.ApiDescription.RelativePath?.StartsWith("api/v1/tenants/", StringComparison.Ordinal) != true)
        {
            return;
        }

        // A route value that a route group's filter reads (the tenant, the connection) is still a path parameter,
        // though the handler may not bind it.
        operation.Parameters ??= [];
        var position = 0;
        foreach (System.Text.RegularExpressions.Match match in RouteValue().Matches(context.ApiDescription.RelativePath))
        {
            var name = match.Groups["name"].Value;
            var index = operation.Parameters.ToList().FindIndex(p => p.Name == name && p.In == ParameterLocation.Path);
            if (index < 0)
            {
                operation.Parameters.Insert(position, new OpenApiParameter
                {
                    Name = name,
                    In = ParameterLocation.Path,
                    Required = true,
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Format = match.Groups["constraint"].Value == "guid" ? "uuid" : null,
                    },
                });
                index = position;
            }

            position = index + 1;
        }

        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>())
        {
            if (parameter.Name is { } name && Parameters.TryGetValue(name, out var doc))
            {
                parameter.Description ??= doc.Description;
                parameter.Example ??= System.Text.Json.Nodes.JsonValue.Create(doc.Example);
            }
        }

        operation.Responses ??= [];
        foreach (var (status, description) in new[]
                 {
                     ("401", "No API key, or not a valid one."),
                     ("404", "No such tenant for this key, or no such resource."),
                     ("429", "Too many requests for this API key; see Retry-After."),
                 })
        {
            if (!operation.Responses.ContainsKey(status))
            {
                operation.Responses[status] = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) },
                    },
                };
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{(?<name>\w+)(:(?<constraint>\w+))?\}")]
    private static partial System.Text.RegularExpressions.Regex RouteValue();
}
