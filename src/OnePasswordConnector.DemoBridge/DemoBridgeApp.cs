using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace OnePasswordConnector.DemoBridge;

/// <summary>Hosts a demo bridge: standalone from <c>Program</c>, or in-process from tests and benchmarks.</summary>
public static class DemoBridgeApp
{
    private static readonly string[] HealthSources = ["ConfirmationWatcher", "RedisCache", "SCIMServer", "StartProvisionWatcher"];

    /// <summary>
    /// A bridge serving <paramref name="directory"/> on <see cref="DemoBridgeOptions.Urls"/> (loopback only). The
    /// host's appsettings and environment are ignored so that a test project's settings cannot reconfigure it.
    /// </summary>
    public static WebApplication Build(DemoBridgeOptions options, DemoDirectory directory, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.BearerToken);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DefaultPageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Latency, TimeSpan.Zero);
        var urls = options.AllowAnyAddress ? options.Urls : LoopbackUrls(options.Urls);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddCommandLine(args ?? []);
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(directory);

        var app = builder.Build();
        var token = new BearerToken(options.BearerToken);
        if (options.EventsToken is { Length: > 0 } eventsToken)
        {
            app.Use(new DemoEventsApi(eventsToken, directory).HandleAsync);
        }

        app.Use(async (context, next) =>
        {
            if (options.Latency > TimeSpan.Zero && context.GetEndpoint()?.Metadata.GetMetadata<DelaysItself>() is null)
            {
                await Task.Delay(options.Latency, context.RequestAborted);
            }

            if (!context.Request.Path.Equals("/ping", StringComparison.OrdinalIgnoreCase) && !token.Accepts(context.Request))
            {
                // Like the real bridge: a SCIM error and no WWW-Authenticate header.
                await ScimJson.WriteErrorAsync(context.Response, StatusCodes.Status401Unauthorized, "Missing or invalid bearer token.");
                return;
            }

            if (!HttpMethods.IsGet(context.Request.Method) && !(options.EnableChurn && context.Request.Path.Equals("/_demo/churn", StringComparison.Ordinal)))
            {
                context.Response.Headers.Allow = HttpMethods.Get;
                await ScimJson.WriteErrorAsync(context.Response, StatusCodes.Status405MethodNotAllowed,
                    $"The demo bridge is read-only: {context.Request.Method} is not supported.");
                return;
            }

            await next(context);
        });

        app.MapGet("/ping", () => "pong");
        if (options.EnableChurn)
        {
            app.MapPost("/_demo/churn", (double? percent, int? seed) => directory.Churn((percent ?? 1) / 100, seed ?? 1));
        }

        app.MapGet("/health", context => ScimStream.WriteAsync(context.Response, StatusCodes.Status200OK,
            Health(options, directory.TimeProvider.GetUtcNow()), "application/json"));

        var scim = new ScimApi(options, directory);
        var basePath = options.ScimBasePath.TrimEnd('/');
        if (basePath.Length > 0)
        {
            scim.Map(app.MapGroup(basePath));
        }

        // The self-hosted bridge aliases /Users to /scim/Users.
        scim.Map(app);
        app.MapFallback(context =>
            ScimJson.WriteErrorAsync(context.Response, StatusCodes.Status404NotFound, $"No resource at {context.Request.Path}."));
        return app;
    }

    /// <summary>Builds and starts a bridge; stop it with <c>StopAsync</c> and <c>DisposeAsync</c>.</summary>
    public static async Task<WebApplication> StartAsync(DemoBridgeOptions options, DemoDirectory directory, CancellationToken cancellationToken = default)
    {
        var app = Build(options, directory);
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>The address the started bridge listens on, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public static Uri GetBaseAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Select(a => new Uri(a.TrimEnd('/') + "/")).FirstOrDefault(a => a.Port != 0);
        return address ?? throw new InvalidOperationException("The demo bridge is not listening yet: start it first.");
    }

    /// <summary>The SCIM base of the started bridge, such as <c>http://127.0.0.1:41234/scim/</c>.</summary>
    public static Uri GetScimBaseAddress(this WebApplication app)
    {
        var basePath = app.Services.GetRequiredService<DemoBridgeOptions>().ScimBasePath.Trim('/');
        return basePath.Length == 0 ? app.GetBaseAddress() : new Uri(app.GetBaseAddress(), basePath + "/");
    }

    private static string LoopbackUrls(string urls)
    {
        var list = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length == 0)
        {
            throw new ArgumentException("No URL to listen on.", nameof(urls));
        }

        // The bridge holds a bearer token and a directory of people: it must never be reachable from the network.
        foreach (var url in list)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || !uri.IsLoopback)
            {
                throw new ArgumentException(
                    $"The demo bridge listens only on http loopback addresses (127.0.0.1, [::1], localhost); '{url}' is not one.",
                    nameof(urls));
            }
        }

        return string.Join(';', list);
    }

    private static JsonObject Health(DemoBridgeOptions options, DateTimeOffset now)
    {
        var reports = HealthSources.Select(source => (JsonNode)new JsonObject
        {
            ["source"] = source,
            ["time"] = Time(now),
            ["expires"] = Time(now.AddMinutes(5)),
            ["state"] = "healthy",
        });
        return new JsonObject
        {
            ["build"] = options.Build,
            ["version"] = options.Version,
            ["reports"] = new JsonArray([.. reports]),
            ["retrievedAt"] = Time(now),
        };
    }

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
