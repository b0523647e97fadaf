namespace OnePasswordConnector.DemoBridge;

/// <summary>Runs a demo bridge from the command line; see README.md.</summary>
// Not top-level statements: tests reference this project and the service, whose global Program is the one
// WebApplicationFactory<Program> must find.
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var config = new ConfigurationBuilder()
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddEnvironmentVariables()
            .AddCommandLine(args, new Dictionary<string, string>
            {
                ["--latency-ms"] = "DemoBridge:LatencyMs",
                ["--paging"] = "DemoBridge:Paging",
            })
            .Build();
        var token = config["DemoBridge:BearerToken"];
        if (string.IsNullOrWhiteSpace(token))
        {
            await Console.Error.WriteLineAsync("Set the bearer token: DemoBridge__BearerToken=... (or --DemoBridge:BearerToken=...).");
            return 2;
        }

        var users = config.GetValue<int?>("DemoBridge:Users");
        var groups = config.GetValue<int?>("DemoBridge:Groups");
        var directory = users is null && groups is null
            ? DemoDirectory.SmallTeam()
            : DemoDirectory.Generate(users ?? 24, groups ?? 3, config.GetValue("DemoBridge:Seed", 1),
                config.GetValue("DemoBridge:MembershipsPerUser", 3), config.GetValue("DemoBridge:EveryoneGroup", false));
        if (config.GetValue("DemoBridge:LargeGroupMembers", 0) is > 0 and var largeGroup)
        {
            directory.AddLargeGroup("All Hands", largeGroup);
        }

        var options = new DemoBridgeOptions
        {
            BearerToken = token,
            Urls = config["urls"] ?? "http://127.0.0.1:5090",
            MaxPageSize = config.GetValue("DemoBridge:MaxPageSize", 1000),
            DefaultPageSize = config.GetValue("DemoBridge:DefaultPageSize", 20),
            EnableChurn = config.GetValue("DemoBridge:EnableChurn", false),
            AllowAnyAddress = config.GetValue("DemoBridge:AllowAnyAddress", false),
            Paging = config.GetValue("DemoBridge:Paging", DemoPaging.Offset),
            Latency = TimeSpan.FromMilliseconds(config.GetValue("DemoBridge:LatencyMs", 0)),
            EventsToken = config["DemoBridge:EventsToken"],
        };

        WebApplication app;
        try
        {
            app = DemoBridgeApp.Build(options, directory, args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }

        await using (app)
        {
            await app.StartAsync();
            Console.WriteLine($"Demo SCIM bridge: {directory.Users.Count} users, {directory.Groups.Count} groups at {app.GetScimBaseAddress()} ({options.Paging} paging, {options.Latency.TotalMilliseconds} ms latency)");
            await app.WaitForShutdownAsync();
        }

        return 0;
    }
}
