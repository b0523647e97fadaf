using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using CsvHelper;
using OnePasswordConnector.AccessReview;

namespace OnePasswordConnector.Tests.AccessReview;

/// <summary>
/// The sheet's UTF-8 writer against CsvHelper, which wrote the sheet before and still writes the evidence files in the
/// same dialect: every cell, with and without formula escaping, must come out byte for byte as CsvHelper writes it.
/// </summary>
public sealed class SheetCsvWriterTests
{
    private static readonly string?[] Cells =
    [
        null, "", " ", "  ", "a", " a", "a ", " a ", "a,b", ",", "a\"b", "\"", "\"\"", "\"a\"", "\"=a\"", "\"=a", "=a\"", "=\"a\"", "a\rb", "a\nb",
        "a\r\nb", "\r", "\n", "\r\n", "\rR", "\nN", "\tT", "T\t", "a\tb", "=1+2", "+1", "-1", "@SUM(1)", "-", "=", "'=x", " =x", "=x ", "=a,b",
        "-\"q\"", "Zoë Ångström", "日本語", "😀", "=😀", "a;b", "Sammet, \"JJ\"", "\u00a0nbsp", "x\u2028y", "'",
    ];

    public static TheoryData<bool> Escapes => new() { true, false };

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task Every_cell_is_written_byte_for_byte_as_CsvHelper_writes_it(bool formulaEscape)
    {
        foreach (var cell in Cells)
        {
            Assert.Equal(await CsvHelperLineAsync(formulaEscape, cell), await LineAsync(formulaEscape, cell));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(-3)]
    [InlineData(int.MinValue)]
    public async Task A_number_is_written_as_CsvHelper_writes_its_invariant_text(int value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(await CsvHelperLineAsync(true, text), await LineAsync(true, w =>
        {
            w.Text("x");
            w.Number(value);
            w.Text("y");
        }));
    }

    [Fact]
    public async Task Instants_are_UTC_with_microseconds_whatever_their_offset_and_a_remembered_one_is_written_again_when_it_changes()
    {
        var instant = new DateTimeOffset(2026, 6, 30, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1234567);
        var last = new SheetCsvWriter.LastInstant();

        var line = await LineAsync(true, w =>
        {
            w.Instant(instant);
            w.Instant(instant, last);
            w.Instant(instant.ToOffset(TimeSpan.FromHours(-7)), last);
            w.Instant(instant.AddTicks(10), last);
        });

        Assert.Equal("2026-06-30T12:00:00.123456Z,2026-06-30T12:00:00.123456Z,2026-06-30T12:00:00.123456Z,2026-06-30T12:00:00.123457Z\r\n", line);
    }

    [Fact]
    public async Task Over_a_pipe_lines_reach_the_stream_in_flushes_and_all_of_them_by_the_end()
    {
        var stream = new MemoryStream();
        var pipe = PipeWriter.Create(stream);
        var flushedEarly = false;
        await using (var csv = new SheetCsvWriter(pipe, formulaEscape: true))
        {
            for (var i = 0; i < 2000; i++)
            {
                csv.Text("Zoë, line " + i.ToString(CultureInfo.InvariantCulture));
                await csv.EndLineAsync();
                flushedEarly |= i < 1999 && stream.Length > 0;
            }
        }

        Assert.True(flushedEarly);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(string.Concat(Enumerable.Range(0, 2000).Select(i => $"\"Zoë, line {i}\"\r\n")), text);
    }

    /// <summary>The cell between two plain cells, so its separators are checked too.</summary>
    private static Task<string> LineAsync(bool formulaEscape, string? cell) => LineAsync(formulaEscape, w =>
    {
        w.Text("x");
        w.Text(cell);
        w.Text("y");
    });

    private static async Task<string> LineAsync(bool formulaEscape, Action<SheetCsvWriter> cells)
    {
        var bytes = new MemoryStream();
        await using (var csv = new SheetCsvWriter(PipeWriter.Create(bytes), formulaEscape))
        {
            cells(csv);
            await csv.EndLineAsync();
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static async Task<string> CsvHelperLineAsync(bool formulaEscape, string? cell)
    {
        using var text = new StringWriter();
        await using (var csv = new CsvWriter(text, AccessReviewCsv.Configuration(formulaEscape)))
        {
            csv.WriteField("x");
            csv.WriteField(cell);
            csv.WriteField("y");
            await csv.NextRecordAsync();
        }

        return text.ToString();
    }
}
