using System.ComponentModel.DataAnnotations;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OnePasswordConnector.Hosting;

internal sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Off by default: when false, nothing of OpenTelemetry is registered.</summary>
    public bool Enabled { get; set; }

    /// <summary>An OTLP/gRPC collector, e.g. http://otel-collector:4317. Traces and metrics are exported there when set.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>Serves a Prometheus scrape endpoint at /metrics (anonymous: expose it only inside the cluster).</summary>
    public bool PrometheusEnabled { get; set; }

    [Required]
    public string ServiceName { get; set; } = "onepassword-connector";
}

internal static class Telemetry
{
    /// <summary>Every meter the service defines (the sync's runs and durations, the bridges' retries and circuits), each beside its feature.</summary>
    public const string ServiceMeters = "OnePasswordConnector.*";

    public const string PrometheusPath = "/metrics";

    /// <summary>
    /// Traces and metrics for ASP.NET Core, the bridge HttpClients, Npgsql and the service's own meters. The HttpClient
    /// instrumentation records method, URL (query values redacted) and status: never a header, so never the bearer token.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var options = Read(builder.Configuration);
        if (!options.Enabled)
        {
            return builder;
        }

        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        if (options.OtlpEndpoint is { IsAbsoluteUri: false })
        {
            throw new ValidationException($"{TelemetryOptions.Section}:OtlpEndpoint must be an absolute URL, e.g. http://otel-collector:4317.");
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceVersion: ServiceInfo.Version))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddNpgsql();
                if (options.OtlpEndpoint is { } endpoint)
                {
                    tracing.AddOtlpExporter(otlp => otlp.Endpoint = endpoint);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddNpgsqlInstrumentation().AddMeter(ServiceMeters);
                if (options.OtlpEndpoint is { } endpoint)
                {
                    metrics.AddOtlpExporter(otlp => otlp.Endpoint = endpoint);
                }

                if (options.PrometheusEnabled)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        return builder;
    }

    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var options = Read(app.Configuration);
        if (options is { Enabled: true, PrometheusEnabled: true })
        {
            app.MapPrometheusScrapingEndpoint(PrometheusPath).AllowAnonymous();
        }

        return app;
    }

    private static TelemetryOptions Read(IConfiguration configuration) =>
        configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
}
