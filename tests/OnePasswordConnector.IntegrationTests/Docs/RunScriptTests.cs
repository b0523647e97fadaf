using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Docs;

/// <summary>scripts/run.sh never dies silently: when the service ends, it says so with the service's last log lines and fails.</summary>
public sealed class RunScriptTests
{
    [Fact]
    public async Task Run_sh_exits_non_zero_with_the_services_last_log_lines_when_the_service_fails_to_start()
    {
        await using var run = await RunScript.StartAsync(new KeyValuePair<string, string>("Sync__PageSize", "0"));

        // Well before run.sh's 90 s readiness deadline: it must notice that the process ended, not wait it out.
        var exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error: the service stopped (exit status", run.Output, StringComparison.Ordinal);
        Assert.Contains("  | ", run.Output, StringComparison.Ordinal);
        Assert.Contains("PageSize", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_sh_exits_non_zero_with_the_services_last_log_lines_when_the_running_service_stops()
    {
        await using var run = await RunScript.StartAsync();
        await run.WaitForOutputAsync("OnePasswordConnector is running.", TimeSpan.FromSeconds(90));
        var processes = run.Descendants();
        var service = Assert.Single(processes, p => CommandLine(p.Id).Contains("OnePasswordConnector.dll", StringComparison.Ordinal));

        service.Kill();
        foreach (var process in processes)
        {
            process.Dispose();
        }

        var exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error: the service stopped (exit status 137)", run.Output, StringComparison.Ordinal);
        Assert.Contains("  | [", run.Output, StringComparison.Ordinal);
        Assert.Contains("INF] ", run.Output, StringComparison.Ordinal);
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }
}
