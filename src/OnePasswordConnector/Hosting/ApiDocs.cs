using System.Reflection;
using Microsoft.OpenApi;

namespace OnePasswordConnector.Hosting;

internal static class ApiDocs
{
    public static IServiceCollection AddApiDocs(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
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
