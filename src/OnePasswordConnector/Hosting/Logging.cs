using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Formatting.Compact;

namespace OnePasswordConnector.Hosting;

internal sealed class ConsoleLogOptions
{
    public const string Section = "Hosting";

    /// <summary>Write logs to the console: readable text in Development, compact JSON (one event per line) elsewhere.</summary>
    public bool ConsoleLogs { get; set; } = true;
}

internal static class Logging
{
    /// <summary>Serilog for every log event: readable console text in Development, compact JSON elsewhere.</summary>
    public static WebApplicationBuilder AddLogging(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleLogOptions>().BindConfiguration(ConsoleLogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var development = builder.Environment.IsDevelopment();
        // preserveStaticLogger: the host owns its logger, so one host stopping never closes another's (tests run several).
        builder.Services.AddSerilog(preserveStaticLogger: true, configureLogger: (services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.EntityFrameworkCore", Serilog.Events.LogEventLevel.Warning)
                .MinimumLevel.Override("System.Net.Http.HttpClient", Serilog.Events.LogEventLevel.Warning)
                .Enrich.FromLogContext();
            if (!services.GetRequiredService<IOptions<ConsoleLogOptions>>().Value.ConsoleLogs)
            {
                return;
            }

            if (development)
            {
                logger.WriteTo.Console();
            }
            else
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
        });
        return builder;
    }

    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        // The default template logs the path only: query strings and headers (X-Api-Key) never reach the log.
        app.UseSerilogRequestLogging();
        return app;
    }
}
