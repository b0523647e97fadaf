using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
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
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations()
            .Validate(o => !o.Enabled || o.OtlpEndpoint is not { IsAbsoluteUri: false },
                $"{TelemetryOptions.Section}:OtlpEndpoint must be an absolute URL, e.g. http://otel-collector:4317.")
            .ValidateOnStart();

        // Whether OpenTelemetry is registered at all, and with which exporters, is decided while the host is built,
        // before the container that would hand out IOptions exists: the section is read once here, and validated at start.
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (!options.Enabled)
        {
            return builder;
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
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (options is { Enabled: true, PrometheusEnabled: true })
        {
            app.MapPrometheusScrapingEndpoint(PrometheusPath).AllowAnonymous();
        }

        return app;
    }
}
