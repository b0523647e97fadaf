using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OnePasswordConnector.Benchmarks;

/// <summary>
/// The demo bridge in a process of its own, so that the connector's memory figures are not the bridge's, and its
/// CPU shows up apart from the connector's.
/// </summary>
internal sealed class BridgeProcess : IAsyncDisposable
{
    private readonly Process process;

    private BridgeProcess(Process process, Uri url, string token)
    {
        this.process = process;
        Url = url;
        Token = token;
    }

    public Uri Url { get; }

    public string Token { get; }

    public double CpuSeconds()
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    public static async Task<BridgeProcess> StartAsync(
        int users, int groups, int membershipsPerUser, bool everyone, int maxPageSize, int latencyMs = 0, int largeGroupMembers = 0)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "OnePasswordConnector.DemoBridge.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("The demo bridge was not built next to the benchmark.", dll);
        }

        var port = FreePort();
        var token = "bench-" + Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}", "--latency-ms", latencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DemoBridge__BearerToken"] = token;
        start.Environment["DemoBridge__Users"] = users.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DemoBridge__Groups"] = groups.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DemoBridge__MembershipsPerUser"] = membershipsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DemoBridge__EveryoneGroup"] = everyone ? "true" : "false";
        start.Environment["DemoBridge__MaxPageSize"] = maxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DemoBridge__EnableChurn"] = "true";
        start.Environment["DemoBridge__Seed"] = "42";
        start.Environment["DemoBridge__LargeGroupMembers"] = largeGroupMembers.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the demo bridge.");
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Demo SCIM bridge", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data))
            {
                Console.Error.WriteLine($"bridge: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(3))) != ready.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The demo bridge did not start.");
        }

        return new BridgeProcess(process, new Uri($"http://127.0.0.1:{port}"), token);
    }

    /// <summary>Changes about <paramref name="percent"/> % of the people on the bridge.</summary>
    public async Task<string> ChurnAsync(double percent, int seed)
    {
        // Changing a million-person team takes the bridge a while on a busy machine; the default 100 s is not the point.
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post,
            new Uri(Url, $"/_demo/churn?percent={percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}&seed={seed}"));
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
