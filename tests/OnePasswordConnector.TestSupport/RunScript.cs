using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// scripts/run.sh as a newcomer starts it, on free ports, with its data folder in a temporary directory and the
/// suite's PostgreSQL instead of a local one, running what the test build already built (no second build). Disposing
/// kills run.sh and every process under it, whatever state the test left them in, and drops the database.
/// </summary>
public sealed class RunScript : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();
    private readonly string database;

    private RunScript(Process process, string database, string folder, int port, int bridgePort)
    {
        this.process = process;
        this.database = database;
        Folder = folder;
        Port = port;
        BridgePort = bridgePort;
    }

    /// <summary>The temporary folder whose <c>.data</c> subfolder is run.sh's data folder.</summary>
    public string Folder { get; }

    public string DataFolder => Path.Combine(Folder, ".data");

    public int Port { get; }

    public int BridgePort { get; }

    /// <summary>What run.sh wrote so far, stdout and stderr interleaved as they came.</summary>
    public string Output => string.Join("\n", output);

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>The environment run.sh documents for its ports, as the README tour reads them too.</summary>
    public IReadOnlyDictionary<string, string> PortVariables => new Dictionary<string, string>
    {
        ["CONNECTOR_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["CONNECTOR_DEMO_BRIDGE_PORT"] = BridgePort.ToString(CultureInfo.InvariantCulture),
    };

    public static async Task<RunScript> StartAsync(params KeyValuePair<string, string>[] settings)
    {
        var root = RepositoryRoot();
        var configuration = BuildConfiguration();
        var built = Path.Combine(root, "src", "OnePasswordConnector", "bin", configuration, "net10.0", "OnePasswordConnector.dll");
        Assert.True(File.Exists(built), $"{built} is missing: the test build should have built the service.");

        var database = await TestDatabase.CreateAsync("runsh");
        var folder = Directory.CreateTempSubdirectory("opc-runsh-").FullName;
        var (port, bridgePort) = (FreePort(), FreePort());
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(root, "scripts", "run.sh") },
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" })
        {
            start.Environment.Remove(inherited);
        }

        start.Environment["ConnectionStrings__Postgres"] = database;
        start.Environment["CONNECTOR_DATA_DIR"] = Path.Combine(folder, ".data");
        start.Environment["CONNECTOR_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["CONNECTOR_DEMO_BRIDGE_PORT"] = bridgePort.ToString(CultureInfo.InvariantCulture);
        start.Environment["CONNECTOR_CONFIGURATION"] = configuration;
        start.Environment["CONNECTOR_NO_BUILD"] = "1";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start scripts/run.sh.");
        var script = new RunScript(process, database, folder, port, bridgePort);
        process.OutputDataReceived += (_, e) => script.Add(e.Data);
        process.ErrorDataReceived += (_, e) => script.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return script;
    }

    /// <summary>Polls until run.sh has printed <paramref name="text"/>; fails if it ends first or the deadline passes.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                Assert.Fail($"run.sh ended (exit code {process.ExitCode}) before printing \"{text}\":\n{Output}\n{ServiceLog()}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"run.sh did not print \"{text}\" within {timeout.TotalSeconds} s:\n{Output}\n{ServiceLog()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits for run.sh to end by itself; fails after the deadline.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"run.sh did not end within {timeout.TotalSeconds} s:\n{Output}");
        }

        // The asynchronous readers may still hold the last lines; the parameterless wait drains them.
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>The processes run.sh started (found through /proc), e.g. to kill the service under it.</summary>
    public IReadOnlyList<Process> Descendants() =>
        DescendantIds(process.Id).Select(TryGetProcess).OfType<Process>().ToList();

    public string ServiceLog()
    {
        var log = Path.Combine(DataFolder, "logs", "service.log");
        return File.Exists(log) ? $"service.log:\n{File.ReadAllText(log)}" : "(no service.log)";
    }

    public async ValueTask DisposeAsync()
    {
        var descendants = process.HasExited ? [] : DescendantIds(process.Id);
        KillQuietly(process);
        foreach (var id in descendants)
        {
            if (TryGetProcess(id) is { } child)
            {
                KillQuietly(child);
                child.Dispose();
            }
        }

        await process.WaitForExitAsync();
        process.Dispose();
        await TestDatabase.DropAsync(database);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A process that has not let go of its log yet; the folder is under /tmp.
        }
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    private static void KillQuietly(Process target)
    {
        try
        {
            target.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
    }

    private static Process? TryGetProcess(int id)
    {
        try
        {
            return Process.GetProcessById(id);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static List<int> DescendantIds(int id)
    {
        var found = new List<int>();
        var pending = new Queue<int>([id]);
        while (pending.TryDequeue(out var parent))
        {
            var tasks = $"/proc/{parent}/task";
            if (!Directory.Exists(tasks))
            {
                continue;
            }

            foreach (var task in Directory.EnumerateDirectories(tasks))
            {
                string children;
                try
                {
                    children = File.ReadAllText(Path.Combine(task, "children"));
                }
                catch (IOException)
                {
                    continue;
                }

                foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var childId = int.Parse(child, CultureInfo.InvariantCulture);
                    found.Add(childId);
                    pending.Enqueue(childId);
                }
            }
        }

        return found;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The configuration this test assembly was built in (…/bin/Debug/net10.0/): run.sh runs the same build.</summary>
    private static string BuildConfiguration() => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>The folder holding OnePasswordConnector.sln, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OnePasswordConnector.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No OnePasswordConnector.sln above {AppContext.BaseDirectory}.");
    }
}
