using System.Xml.Linq;
using OnePasswordConnector.Benchmarks;

namespace OnePasswordConnector.IntegrationTests.Benchmarks;

/// <summary>The pure parts of the scale curve: the fitted exponent and the SVG chart (the XL run itself is opt-in).</summary>
public sealed class ScaleCurveTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly ScalePoint[] Points =
    [
        new("S", 10_001, 0.9, 0.3, 0.5, 0.25, 0.45, 204),
        new("L", 100_001, 5.6, 1.2, 2.0, 1.4, 3.0, 327),
        new("XL", 1_000_001, 61, 14, 20, 15, 31, 810),
    ];

    [Theory]
    [InlineData(1.0, 3.0)]
    [InlineData(0.5, 1.0)]
    [InlineData(2.0, 0.001)]
    public void Exponent_of_an_exact_power_law_is_its_power(double power, double factor)
    {
        var points = new[] { 10_000.0, 100_000.0, 1_000_000.0 }.Select(u => (u, factor * Math.Pow(u, power))).ToList();

        Assert.Equal(power, ScaleCurve.Exponent(points)!.Value, precision: 9);
    }

    [Fact]
    public void Exponent_is_the_least_squares_slope_when_the_points_are_not_on_one_line()
    {
        // log10 users 4, 5, 6 against log10 time 0, 1.2, 2: the least-squares slope is (2 - 0) / 2 = 1.0.
        var points = new[] { (1e4, 1.0), (1e5, Math.Pow(10, 1.2)), (1e6, 100.0) };

        Assert.Equal(1.0, ScaleCurve.Exponent(points)!.Value, precision: 9);
    }

    [Fact]
    public void Exponent_is_undefined_for_one_size_or_a_time_of_zero()
    {
        Assert.Null(ScaleCurve.Exponent([(1e4, 1.0), (1e4, 2.0)]));
        Assert.Null(ScaleCurve.Exponent([(1e4, 1.0), (1e5, 0.0)]));
    }

    [Fact]
    public void Summary_line_appears_only_when_XL_ran_and_carries_the_exponents_and_the_XL_peak()
    {
        Assert.Null(ScaleCurve.SummaryLine(Points[..2]));

        var line = ScaleCurve.SummaryLine(Points);

        Assert.NotNull(line);
        var keys = line.Split(' ').Select(pair => pair.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.Equal(ScaleCurve.Exponent([.. Points.Select(p => ((double)p.Users, p.FullSync))])!.Value.ToString("F2", System.Globalization.CultureInfo.InvariantCulture), keys["exponent_full_sync"]);
        Assert.Equal(ScaleCurve.Exponent([.. Points.Select(p => ((double)p.Users, p.NoChangeResync))])!.Value.ToString("F2", System.Globalization.CultureInfo.InvariantCulture), keys["exponent_resync"]);
        Assert.Equal("810", keys["peak_mb_XL"]);
        Assert.Equal("3.97", keys["ratio_peak_XL_vs_S"]);
        Assert.Equal("S,L,XL", keys["sizes_fitted"]);
    }

    [Fact]
    public void Table_has_one_row_per_size_with_its_times_and_peak()
    {
        var table = ScaleCurve.Table(Points);

        Assert.Contains("| XL | 1,000,001 | 61.00 s | 14.00 s | 20.00 s | 15.00 s | 31.00 s | 810 MB |", table, StringComparison.Ordinal);
        Assert.Equal(Points.Length, table.Split('\n').Count(line => line.StartsWith("| S", StringComparison.Ordinal) || line.StartsWith("| L", StringComparison.Ordinal) || line.StartsWith("| XL", StringComparison.Ordinal)));
    }

    [Fact]
    public void Chart_is_well_formed_svg_with_one_series_per_figure_and_labelled_axes()
    {
        var document = XDocument.Parse(ScaleChart.Svg(Points, "measured on a test & <nothing> else"));

        Assert.Equal(Svg + "svg", document.Root!.Name);
        var figures = document.Root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "figure").ToList();
        Assert.Equal(2, figures.Count);
        Assert.Equal(
            ["full sync", "no-change re-sync", "fetch + write floor", "write floor", "fetch floor"],
            SeriesNames(figures[0]));
        Assert.Equal(["peak working set"], SeriesNames(figures[1]));
        Assert.Equal(["users (log scale)", "seconds (log scale)"], AxisLabels(figures[0]));
        Assert.Equal(["users (log scale)", "peak working set (MB) (log scale)"], AxisLabels(figures[1]));
        Assert.All(figures.SelectMany(f => f.Descendants(Svg + "polyline")), line =>
            Assert.Equal(Points.Length, ((string)line.Attribute("points")!).Split(' ').Length));
        Assert.Contains(document.Root.Elements(Svg + "text"), t => t.Value == "measured on a test & <nothing> else");
    }

    [Fact]
    public void Chart_places_larger_values_higher_and_further_right()
    {
        var document = XDocument.Parse(ScaleChart.Svg(Points, ""));
        var fullSync = document.Descendants(Svg + "g").Single(g => (string?)g.Attribute("data-name") == "full sync");

        var xy = ((string)fullSync.Element(Svg + "polyline")!.Attribute("points")!).Split(' ')
            .Select(p => p.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            .ToList();

        Assert.True(xy[0][0] < xy[1][0] && xy[1][0] < xy[2][0], "users grow to the right");
        Assert.True(xy[0][1] > xy[1][1] && xy[1][1] > xy[2][1], "time grows upwards (smaller y in SVG)");
    }

    [Fact]
    public void Chart_leaves_out_a_figure_that_was_not_measured_instead_of_drawing_it_at_zero()
    {
        ScalePoint[] partial = [Points[0], Points[1], Points[2] with { WriteFloor = 0 }];

        var document = XDocument.Parse(ScaleChart.Svg(partial, ""));

        var writeFloor = document.Descendants(Svg + "g").Single(g => (string?)g.Attribute("data-name") == "write floor");
        Assert.Equal(2, writeFloor.Elements(Svg + "circle").Count());
        var sum = document.Descendants(Svg + "g").Single(g => (string?)g.Attribute("data-name") == "fetch + write floor");
        Assert.Equal(2, sum.Elements(Svg + "circle").Count());
        Assert.DoesNotContain("Infinity", document.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Log_axis_spans_whole_decades_and_keeps_a_million_and_one_on_the_million_line()
    {
        var axis = LogAxis.Span([10_001, 1_000_001]);

        Assert.Equal(new LogAxis(4, 6), axis);
        Assert.Equal(0.5, axis.Position(100_000), precision: 9);
        Assert.Equal(
            ["10,000", "20,000", "50,000", "100,000", "200,000", "500,000", "1,000,000"],
            axis.Ticks().Where(t => t.Labelled).Select(t => LogAxis.Label(t.Value)));
    }

    private static List<string> SeriesNames(XElement figure) =>
        [.. figure.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").Select(g => (string)g.Attribute("data-name")!)];

    private static List<string> AxisLabels(XElement figure) =>
        [.. figure.Elements(Svg + "text").Where(t => (string?)t.Attribute("class") == "axis-label").Select(t => t.Value)];
}
