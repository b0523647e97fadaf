using System.Diagnostics;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Docs;

/// <summary>
/// The README's API tour, run verbatim with bash against a service started by scripts/run.sh: every command succeeds
/// and every step gives what the README shows for it.
/// </summary>
public sealed class ReadmeTourTests
{
    [Fact]
    public async Task The_readme_tour_runs_verbatim_against_what_run_sh_started_and_gives_the_outputs_it_shows()
    {
        var tour = ReadmeTour.Parse(await File.ReadAllTextAsync(Path.Combine(RunScript.RepositoryRoot(), "README.md")));
        Assert.True(tour.Steps.Count >= 10, $"The tour has only {tour.Steps.Count} bash blocks.");
        await using var run = await RunScript.StartAsync();
        await run.WaitForOutputAsync("OnePasswordConnector is running.", TimeSpan.FromSeconds(90));

        // The script of the README's blocks alone; the test's own epilogue only reports what the tour captured.
        var script = tour.Script() + "printf 'ID=%s RUN=%s\\n' \"$ID\" \"$RUN\"\n";
        var (exitCode, output, errors) = await RunBashAsync(script, run);

        Assert.True(exitCode == 0 && output.Contains(ReadmeTour.EndMarker, StringComparison.Ordinal),
            $"The tour failed (exit code {exitCode}).\nstdout:\n{output}\nstderr:\n{errors}\n{run.ServiceLog()}");
        Assert.Matches(@"ID=[0-9a-f]{8}-[0-9a-f-]{27} RUN=[0-9a-f]{8}-[0-9a-f-]{27}", output);
        var actual = ReadmeTour.SplitOutput(output);
        Assert.Equal(tour.Steps.Count, actual.Count);
        var failures = new List<string>();
        for (var i = 0; i < tour.Steps.Count; i++)
        {
            var step = tour.Steps[i];
            if (step.Outputs.Count == 0)
            {
                continue;
            }

            var disagreements = step.Outputs.Select(shown => ReadmeTour.Disagreements(shown, actual[i])).ToList();
            if (disagreements.All(d => d.Count > 0))
            {
                failures.Add($"Step {i + 1}:\n{step.Commands}\ngave:\n{actual[i]}\nwhich disagrees with the README: " +
                    string.Join("; or ", disagreements.Select(d => string.Join(", ", d))));
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        var apiKey = await File.ReadAllTextAsync(Path.Combine(run.DataFolder, "dev-api-key"));
        var bridgeToken = await File.ReadAllTextAsync(Path.Combine(run.DataFolder, "demo-bridge-token"));
        foreach (var secret in new[] { apiKey.Trim(), bridgeToken.Trim() })
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, run.ServiceLog(), StringComparison.Ordinal);
        }
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunBashAsync(string script, RunScript run)
    {
        var path = Path.Combine(run.Folder, "tour.sh");
        await File.WriteAllTextAsync(path, script);
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { "-euo", "pipefail", path },
            WorkingDirectory = run.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in run.PortVariables)
        {
            start.Environment[key] = value;
        }

        using var bash = Process.Start(start) ?? throw new InvalidOperationException("Could not start bash.");
        var output = bash.StandardOutput.ReadToEndAsync();
        var errors = bash.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await bash.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            bash.Kill(entireProcessTree: true);
            Assert.Fail($"The tour did not finish within 90 s.\nstdout so far:\n{await output}\nstderr:\n{await errors}");
        }

        return (bash.ExitCode, await output, await errors);
    }
}
