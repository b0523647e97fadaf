using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// Writes CSV cells as UTF-8 straight into the response's <see cref="PipeWriter"/>, in the dialect CsvHelper wrote
/// the sheet in before (<see cref="AccessReviewCsv.Configuration"/>, which the evidence files still use): commas, CRLF
/// line ends, a cell quoted when it holds a comma, quote, CR or LF or begins or ends with a space, quotes doubled; with
/// formula escaping a cell beginning with =, @, +, -, a tab or a CR gets a leading ' and is quoted. A 500,000-line sheet
/// is written without a string or a buffer per line. Over a <see cref="TextWriter"/> (tests), each line goes to it as
/// text when it ends.
/// </summary>
internal sealed class SheetCsvWriter : IAsyncDisposable
{
    /// <summary>
    /// Bytes gathered before the pipe is flushed to the client: one flush per line would cost a call into the server per
    /// line, and Kestrel's FlushAsync waits once more than 64 KiB (Limits.MaxResponseBufferSize) are not yet sent, so
    /// half of that keeps the socket fed while the next lines are written.
    /// </summary>
    internal const int FlushBytes = 32 * 1024;

    /// <summary>How every instant of a sheet is written, in the CSV and in the evidence package's files: UTC, microseconds, Z.</summary>
    internal const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private static readonly SearchValues<char> Quoted = SearchValues.Create(",\"\r\n");
    private static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=@+-\t\r");

    private readonly IBufferWriter<byte> output;
    private readonly PipeWriter? pipe;
    private readonly TextWriter? text;
    private readonly bool formulaEscape;
    private bool first = true;
    private long unflushed;

    /// <summary>Over a pipe (flushed as lines gather) or any buffer (cells kept to be copied with <see cref="Cells"/>).</summary>
    public SheetCsvWriter(IBufferWriter<byte> output, bool formulaEscape) => (this.output, pipe, this.formulaEscape) = (output, output as PipeWriter, formulaEscape);

    public SheetCsvWriter(TextWriter text, bool formulaEscape) => (output, this.text, this.formulaEscape) = (new ArrayBufferWriter<byte>(1024), text, formulaEscape);

    /// <summary>A cell of text; null and empty both give an empty cell.</summary>
    public void Text(ReadOnlySpan<char> value)
    {
        Separator();
        if (value.IsEmpty)
        {
            return;
        }

        var escape = formulaEscape && FormulaStarts.Contains(value[0]);
        if (!escape && value[0] != ' ' && value[^1] != ' ' && !value.ContainsAny(Quoted))
        {
            Utf8(value);
            return;
        }

        Ascii(escape ? "\"'"u8 : "\""u8);
        for (var quote = value.IndexOf('"'); quote >= 0; quote = value.IndexOf('"'))
        {
            Utf8(value[..(quote + 1)]);
            Ascii("\""u8);
            value = value[(quote + 1)..];
        }

        Utf8(value);
        Ascii("\""u8);
    }

    /// <summary>Values joined by ';' in one cell, quoted as one cell would be.</summary>
    public void Joined(IReadOnlyList<string> values)
    {
        if (values.Count <= 1)
        {
            Text(values.Count == 0 ? "" : values[0]);
            return;
        }

        Text(string.Join(';', values));
    }

    /// <summary>UTC, microseconds, Z: never quoted, and it begins with a digit, so never escaped.</summary>
    public void Instant(DateTimeOffset value)
    {
        Separator();
        var span = output.GetSpan(32);
        value.UtcDateTime.TryFormat(span, out var written, InstantFormat, CultureInfo.InvariantCulture);
        Advance(written);
    }

    /// <summary>An instant <paramref name="last"/> remembers written as bytes, so a repeated one is copied, not formatted.</summary>
    public void Instant(DateTimeOffset value, LastInstant last)
    {
        Separator();
        Ascii(last.Utf8(value));
    }

    public void Number(int value)
    {
        if (value < 0)
        {
            // A minus sign is a formula start: the general path escapes it as any other cell.
            Text(value.ToString(CultureInfo.InvariantCulture));
            return;
        }

        Separator();
        var span = output.GetSpan(11);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        Advance(written);
    }

    public void Boolean(bool value)
    {
        Separator();
        Ascii(value ? "true"u8 : "false"u8);
    }

    /// <summary>Cells already written by this writer's rules (a user's cells, repeated on each of their lines), copied as they are.</summary>
    public void Cells(ReadOnlySpan<byte> cells)
    {
        Separator();
        Ascii(cells);
    }

    /// <summary>Ends the line; over a pipe, flushes once <see cref="FlushBytes"/> have gathered.</summary>
    public async ValueTask EndLineAsync(CancellationToken cancellationToken = default)
    {
        Ascii("\r\n"u8);
        first = true;
        if (pipe is not null)
        {
            if (unflushed >= FlushBytes)
            {
                unflushed = 0;
                await pipe.FlushAsync(cancellationToken);
            }

            return;
        }

        if (text is not null && output is ArrayBufferWriter<byte> line)
        {
            await text.WriteAsync(Encoding.UTF8.GetString(line.WrittenSpan).AsMemory(), cancellationToken);
            line.Clear();
        }
    }

    /// <summary>Starts cells anew in a buffer that was cleared: its first cell takes no separator.</summary>
    public void Restart() => first = true;

    public async ValueTask DisposeAsync()
    {
        if (pipe is not null)
        {
            await pipe.FlushAsync();
        }
        else if (text is not null)
        {
            await text.FlushAsync();
        }
    }

    private void Separator()
    {
        if (first)
        {
            first = false;
            return;
        }

        Ascii(","u8);
    }

    private void Utf8(ReadOnlySpan<char> value)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        Advance(Encoding.UTF8.GetBytes(value, span));
    }

    private void Ascii(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    private void Advance(int count)
    {
        output.Advance(count);
        unflushed += count;
    }

    /// <summary>One instant column: its last value and that value's UTF-8 text.</summary>
    internal sealed class LastInstant
    {
        private readonly byte[] text = new byte[32];
        private DateTime last = DateTime.MinValue;
        private int length;

        public ReadOnlySpan<byte> Utf8(DateTimeOffset value)
        {
            var utc = value.UtcDateTime;
            if (length == 0 || utc != last)
            {
                utc.TryFormat(text, out length, InstantFormat, CultureInfo.InvariantCulture);
                last = utc;
            }

            return text.AsSpan(0, length);
        }
    }
}
