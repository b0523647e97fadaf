using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnePasswordConnector.Benchmarks;

/// <summary>
/// Runs each size in a child process of its own, so that a size's peak working set is its own. In one process, every
/// connector host the sizes before had started stayed reachable: ASP.NET Core's rate-limiting middleware never
/// disposes its endpoint limiter, whose timer holds the execution context the test host was built in, and through it
/// the whole host, review sheets cached included (about 50 MB live after S, ten times that after L), which raised
/// the next size's managed heap and, with DATAS, its allocation budget.
/// </summary>
internal static class SizeProcess
{
    public const string ChildSwitch = "--size-case";

    private const string ResultPrefix = "size-result ";

    private static readonly JsonSerializerOptions Json = new() { PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate };

    /// <summary>Runs one size in a child process, passing its log through, and reads its result line.</summary>
    public static async Task<SizeResult> RunAsync(SizeSpec size, int pageSize, TextWriter log)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(SizeProcess).Assembly.Location, ChildSwitch, size.Name, pageSize.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start size {size.Name}.");
        SizeResult? result = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (Parse(line) is { } parsed)
            {
                result = parsed;
                continue;
            }

            log.WriteLine(line);
        }

        await child.WaitForExitAsync();
        return result ?? throw new InvalidOperationException($"Size {size.Name} exited with {child.ExitCode} and no result.");
    }

    /// <summary>The size itself, in the child process: its log, then its result as one line.</summary>
    public static async Task RunHereAsync(SizeSpec size, string adminConnectionString, int pageSize, TextWriter output)
    {
        var result = await Benchmark.RunAsync(size, adminConnectionString, pageSize, output);
        output.WriteLine(Line(result));
    }

    public static string Line(SizeResult result) => ResultPrefix + JsonSerializer.Serialize(result, Json);

    /// <summary>The result a child's line carries, or null for a line of its log.</summary>
    public static SizeResult? Parse(string line) =>
        line.StartsWith(ResultPrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<SizeResult>(line[ResultPrefix.Length..], Json) : null;
}
