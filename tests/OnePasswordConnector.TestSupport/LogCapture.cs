using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace OnePasswordConnector.TestSupport;

/// <summary>Every log event the app wrote, rendered with its properties and exception, for secret scans and assertions.</summary>
public sealed class LogCapture : ILogEventSink
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public void Emit(LogEvent logEvent)
    {
        using var writer = new StringWriter();
        writer.Write(logEvent.RenderMessage());
        foreach (var property in logEvent.Properties)
        {
            writer.Write($" {property.Key}={property.Value}");
        }

        if (logEvent.Exception is not null)
        {
            writer.Write(" " + logEvent.Exception);
        }

        lines.Enqueue(writer.ToString());
    }

    public bool Contains(string text) => lines.Any(l => l.Contains(text, StringComparison.Ordinal));
}
