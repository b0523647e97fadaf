using System.Reflection;

namespace OnePasswordConnector.Hosting;

/// <summary>What is running: the service name, its version and where the API documentation is.</summary>
/// <param name="Service">Always "OnePasswordConnector".</param>
/// <param name="Version">The build's informational version: the release number and the git commit it was built from.</param>
/// <param name="Docs">The path of the Swagger UI.</param>
public sealed record ServiceInfoResponse(string Service, string Version, string Docs);

internal static class ServiceInfo
{
    public const string Name = "OnePasswordConnector";

    /// <summary>
    /// The SDK appends "+&lt;commit sha&gt;" to the version when the build sees the git repository (SourceLink),
    /// so a running service always says which commit it is.
    /// </summary>
    public static string Version { get; } =
        typeof(ServiceInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static WebApplication MapServiceInfo(this WebApplication app)
    {
        app.MapGet("/", () => TypedResults.Ok(new ServiceInfoResponse(Name, Version, "/swagger")))
            .WithName("GetServiceInfo")
            .WithTags("Service")
            .WithSummary("Name and version of the running service")
            .AllowAnonymous();
        return app;
    }
}
