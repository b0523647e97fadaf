using System.Text;
using System.Text.RegularExpressions;

namespace OnePasswordConnector.IntegrationTests.Docs;

/// <summary>
/// The README's API tour: the <c>bash</c> blocks between <c>&lt;!-- tour:begin --&gt;</c> and <c>&lt;!-- tour:end --&gt;</c>,
/// each with the <c>text</c> blocks shown after it (before the next <c>bash</c> block) as the outputs it may give.
/// </summary>
internal sealed partial record ReadmeTour(IReadOnlyList<TourStep> Steps)
{
    public const string Begin = "<!-- tour:begin -->";
    public const string End = "<!-- tour:end -->";
    public const string StepMarker = "@@tour-step@@";
    public const string EndMarker = "@@tour-end@@";

    public static ReadmeTour Parse(string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var begin = Array.IndexOf(lines, Begin);
        var end = Array.IndexOf(lines, End);
        Assert.True(begin >= 0 && end > begin, $"README.md has no {Begin} … {End} section.");

        var steps = new List<TourStep>();
        for (var i = begin + 1; i < end; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var language = lines[i][3..].Trim();
            var body = new List<string>();
            for (i++; i < end && lines[i] != "```"; i++)
            {
                body.Add(lines[i]);
            }

            var text = string.Join("\n", body);
            if (language == "bash")
            {
                steps.Add(new TourStep(text, []));
            }
            else if (language == "text" && steps.Count > 0)
            {
                steps[^1] = steps[^1] with { Outputs = [.. steps[^1].Outputs, text] };
            }
            else
            {
                Assert.Fail($"A ```{language} block in the tour: it holds only ```bash commands and the ```text outputs after them.");
            }
        }

        return new ReadmeTour(steps);
    }

    /// <summary>One script: every step in order, each announced by a marker line so its output can be told apart.</summary>
    public string Script()
    {
        var script = new StringBuilder();
        foreach (var step in Steps)
        {
            script.Append("echo '").Append(StepMarker).Append("'\n").Append(step.Commands).Append('\n');
        }

        return script.Append("echo '").Append(EndMarker).Append("'\n").ToString();
    }

    /// <summary>The output of each step of a run of <see cref="Script"/>.</summary>
    public static IReadOnlyList<string> SplitOutput(string output)
    {
        var text = output.ReplaceLineEndings("\n");
        var end = text.IndexOf(EndMarker, StringComparison.Ordinal);
        var steps = (end >= 0 ? text[..end] : text).Split(StepMarker + "\n");
        return steps.Skip(1).ToList();
    }

    /// <summary>
    /// What a shown output claims, checked against an actual one: the same status codes in the same order (status lines
    /// and bare codes), the headers it shows, every JSON property name it shows, and the string values it shows that
    /// cannot vary from run to run (those with a digit or an ellipsis are ids, times, URLs, token hints or shortened).
    /// </summary>
    public static IReadOnlyList<string> Disagreements(string shown, string actual)
    {
        var problems = new List<string>();
        var expectedStatuses = Statuses(shown);
        var actualStatuses = Statuses(actual);
        if (!expectedStatuses.SequenceEqual(actualStatuses))
        {
            problems.Add($"status codes [{string.Join(", ", expectedStatuses)}] shown, [{string.Join(", ", actualStatuses)}] given");
        }

        problems.AddRange(HeaderLine().Matches(shown).Select(m => m.Groups[1].Value + ":")
            .Where(header => !actual.Contains("\n" + header, StringComparison.OrdinalIgnoreCase) && !actual.StartsWith(header, StringComparison.OrdinalIgnoreCase))
            .Select(header => $"header {header} shown but not given"));
        problems.AddRange(PropertyName().Matches(shown).Select(m => m.Value).Distinct()
            .Where(name => !actual.Contains(name, StringComparison.Ordinal))
            .Select(name => $"property {name} shown but not given"));
        problems.AddRange(StringProperty().Matches(shown).Select(m => m.Value).Distinct()
            .Where(pair => !pair.Any(c => char.IsDigit(c) || c == '…') && !actual.Contains(pair, StringComparison.Ordinal))
            .Select(pair => $"{pair} shown but not given"));
        return problems;
    }

    private static List<string> Statuses(string output) =>
        StatusLine().Matches(output.ReplaceLineEndings("\n")).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();

    [GeneratedRegex(@"^(?:HTTP/\S+ (\d{3})\b.*|(\d{3}))$", RegexOptions.Multiline)]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z-]*): ", RegexOptions.Multiline)]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"""[A-Za-z][A-Za-z0-9]*"":")]
    private static partial Regex PropertyName();

    [GeneratedRegex(@"""[A-Za-z][A-Za-z0-9]*"":""[^""]*""")]
    private static partial Regex StringProperty();
}

/// <summary>A <c>bash</c> block of the tour and the outputs the README shows for it (any one of them may happen).</summary>
internal sealed record TourStep(string Commands, IReadOnlyList<string> Outputs);
