using System.Globalization;
using System.Text;
using System.Xml;

namespace OnePasswordConnector.Benchmarks;

/// <summary>
/// The scale curve as an SVG of two log-log figures: sync times beside their floors, and peak memory. Written by hand
/// with an <see cref="XmlWriter"/> (well-formed by construction) rather than a plotting library, which would bring
/// native rendering assets for a picture of a dozen points.
/// </summary>
internal static class ScaleChart
{
    private const double FigureWidth = 480;
    private const double FigureHeight = 380;
    private const double PlotLeft = 72;
    private const double PlotRight = 40;
    private const double PlotTop = 44;
    private const double PlotBottom = 58;
    private const string SvgNamespace = "http://www.w3.org/2000/svg";

    internal sealed record Series(string Name, string Colour, bool IsFloor, IReadOnlyList<(double X, double Y)> Points);

    internal sealed record Figure(string Title, string XLabel, string YLabel, IReadOnlyList<Series> Series);

    public static IReadOnlyList<Figure> Figures(IReadOnlyList<ScalePoint> points)
    {
        // A figure not measured (zero) cannot sit on a log axis: its point is left out, not drawn at the bottom.
        Series Of(string name, string colour, bool isFloor, Func<ScalePoint, double> value) =>
            new(name, colour, isFloor, [.. points.Select(p => ((double)p.Users, value(p))).Where(p => p.Item2 > 0)]);

        return
        [
            new Figure("Sync time against size", "users", "seconds",
            [
                Of("full sync", "#1f5fa8", false, p => p.FullSync),
                Of("no-change re-sync", "#c0392b", false, p => p.NoChangeResync),
                Of("fetch + write floor", "#555555", true, p => p.FetchFloor > 0 && p.WriteFloor > 0 ? p.FetchFloor + p.WriteFloor : 0),
                Of("write floor", "#8e44ad", true, p => p.WriteFloor),
                Of("fetch floor", "#27ae60", true, p => p.FetchFloor),
            ]),
            new Figure("Peak working set during the full sync", "users", "peak working set (MB)",
            [
                Of("peak working set", "#d35400", false, p => p.PeakWorkingSetMb),
            ]),
        ];
    }

    /// <summary>The SVG document; <paramref name="caption"/> says where and when the figures were measured.</summary>
    public static string Svg(IReadOnlyList<ScalePoint> points, string caption)
    {
        var figures = Figures(points);
        var width = FigureWidth * figures.Count;
        var height = FigureHeight + 24;
        var text = new StringBuilder();
        using (var w = XmlWriter.Create(text, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true }))
        {
            w.WriteStartElement("svg", SvgNamespace);
            Attr(w, "width", width);
            Attr(w, "height", height);
            w.WriteAttributeString("viewBox", string.Create(CultureInfo.InvariantCulture, $"0 0 {width} {height}"));
            w.WriteAttributeString("font-family", "sans-serif");
            w.WriteAttributeString("font-size", "12");
            w.WriteElementString("title", SvgNamespace, "Scale curve: sync time and peak memory against users");
            Rect(w, 0, 0, width, height, "#ffffff");
            for (var i = 0; i < figures.Count; i++)
            {
                WriteFigure(w, figures[i], FigureWidth * i);
            }

            Text(w, 12, height - 10, caption, "start", fill: "#555555");
            w.WriteEndElement();
        }

        return text.ToString();
    }

    private static void WriteFigure(XmlWriter w, Figure figure, double offsetX)
    {
        var all = figure.Series.SelectMany(s => s.Points).ToList();
        var x = LogAxis.Span(all.Select(p => p.X));
        var y = LogAxis.Span(all.Select(p => p.Y));
        var plotWidth = FigureWidth - PlotLeft - PlotRight;
        var plotHeight = FigureHeight - PlotTop - PlotBottom;
        double Px(double v) => PlotLeft + (x.Position(v) * plotWidth);
        double Py(double v) => PlotTop + plotHeight - (y.Position(v) * plotHeight);

        w.WriteStartElement("g", SvgNamespace);
        w.WriteAttributeString("class", "figure");
        w.WriteAttributeString("transform", string.Create(CultureInfo.InvariantCulture, $"translate({offsetX},0)"));
        Text(w, FigureWidth / 2, 22, figure.Title, "middle", weight: "bold", size: 14);
        Rect(w, PlotLeft, PlotTop, plotWidth, plotHeight, "none", stroke: "#333333");

        foreach (var (value, labelled) in x.Ticks())
        {
            Line(w, Px(value), PlotTop, Px(value), PlotTop + plotHeight, labelled ? "#dddddd" : "#f0f0f0");
            if (labelled)
            {
                Text(w, Px(value), PlotTop + plotHeight + 16, LogAxis.Label(value), "middle");
            }
        }

        foreach (var (value, labelled) in y.Ticks())
        {
            Line(w, PlotLeft, Py(value), PlotLeft + plotWidth, Py(value), labelled ? "#dddddd" : "#f0f0f0");
            if (labelled)
            {
                Text(w, PlotLeft - 6, Py(value) + 4, LogAxis.Label(value), "end");
            }
        }

        Text(w, PlotLeft + (plotWidth / 2), FigureHeight - 18, figure.XLabel + " (log scale)", "middle", cls: "axis-label");
        w.WriteStartElement("text", SvgNamespace);
        w.WriteAttributeString("class", "axis-label");
        w.WriteAttributeString("text-anchor", "middle");
        w.WriteAttributeString("transform", string.Create(CultureInfo.InvariantCulture, $"translate(18,{PlotTop + (plotHeight / 2)}) rotate(-90)"));
        w.WriteString(figure.YLabel + " (log scale)");
        w.WriteEndElement();

        for (var i = 0; i < figure.Series.Count; i++)
        {
            var series = figure.Series[i];
            w.WriteStartElement("g", SvgNamespace);
            w.WriteAttributeString("class", "series");
            w.WriteAttributeString("data-name", series.Name);
            w.WriteStartElement("polyline", SvgNamespace);
            w.WriteAttributeString("points", string.Join(' ', series.Points.Select(p =>
                string.Create(CultureInfo.InvariantCulture, $"{Px(p.X):F1},{Py(p.Y):F1}"))));
            w.WriteAttributeString("fill", "none");
            w.WriteAttributeString("stroke", series.Colour);
            w.WriteAttributeString("stroke-width", series.IsFloor ? "1.5" : "2.5");
            if (series.IsFloor)
            {
                w.WriteAttributeString("stroke-dasharray", "6 4");
            }

            w.WriteEndElement();
            foreach (var p in series.Points)
            {
                w.WriteStartElement("circle", SvgNamespace);
                Attr(w, "cx", Px(p.X));
                Attr(w, "cy", Py(p.Y));
                Attr(w, "r", series.IsFloor ? 2.5 : 3.5);
                w.WriteAttributeString("fill", series.Colour);
                w.WriteElementString("title", SvgNamespace,
                    string.Create(CultureInfo.InvariantCulture, $"{series.Name}: {p.Y:G4} at {p.X:N0} users"));
                w.WriteEndElement();
            }

            // The legend sits top left, where figures that grow with size leave room.
            var legendY = PlotTop + 16 + (i * 16);
            Line(w, PlotLeft + 10, legendY - 4, PlotLeft + 34, legendY - 4, series.Colour, series.IsFloor ? "6 4" : null, 2);
            Text(w, PlotLeft + 40, legendY, series.Name, "start");
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static void Attr(XmlWriter w, string name, double value) =>
        w.WriteAttributeString(name, value.ToString("0.#", CultureInfo.InvariantCulture));

    private static void Rect(XmlWriter w, double x, double y, double width, double height, string fill, string? stroke = null)
    {
        w.WriteStartElement("rect", SvgNamespace);
        Attr(w, "x", x);
        Attr(w, "y", y);
        Attr(w, "width", width);
        Attr(w, "height", height);
        w.WriteAttributeString("fill", fill);
        if (stroke is not null)
        {
            w.WriteAttributeString("stroke", stroke);
        }

        w.WriteEndElement();
    }

    private static void Line(XmlWriter w, double x1, double y1, double x2, double y2, string stroke, string? dash = null, double width = 1)
    {
        w.WriteStartElement("line", SvgNamespace);
        Attr(w, "x1", x1);
        Attr(w, "y1", y1);
        Attr(w, "x2", x2);
        Attr(w, "y2", y2);
        w.WriteAttributeString("stroke", stroke);
        Attr(w, "stroke-width", width);
        if (dash is not null)
        {
            w.WriteAttributeString("stroke-dasharray", dash);
        }

        w.WriteEndElement();
    }

    private static void Text(XmlWriter w, double x, double y, string content, string anchor,
        string? weight = null, int? size = null, string? fill = null, string? cls = null)
    {
        w.WriteStartElement("text", SvgNamespace);
        if (cls is not null)
        {
            w.WriteAttributeString("class", cls);
        }

        Attr(w, "x", x);
        Attr(w, "y", y);
        w.WriteAttributeString("text-anchor", anchor);
        if (weight is not null)
        {
            w.WriteAttributeString("font-weight", weight);
        }

        if (size is { } s)
        {
            Attr(w, "font-size", s);
        }

        if (fill is not null)
        {
            w.WriteAttributeString("fill", fill);
        }

        w.WriteString(content);
        w.WriteEndElement();
    }
}

/// <summary>A base-10 logarithmic axis spanning whole decades around the values it must show.</summary>
internal readonly record struct LogAxis(int LowDecade, int HighDecade)
{
    public static LogAxis Span(IEnumerable<double> values)
    {
        var logs = values.Where(v => v > 0).Select(Math.Log10).ToList();
        if (logs.Count == 0)
        {
            return new LogAxis(0, 1);
        }

        // The tolerance keeps 1,000,001 users on the 10^6 line rather than opening a decade for one user.
        var low = (int)Math.Floor(logs.Min() + 0.001);
        var high = (int)Math.Ceiling(logs.Max() - 0.001);
        return new LogAxis(low, Math.Max(high, low + 1));
    }

    /// <summary>Where <paramref name="value"/> falls between the ends of the axis, from 0 to 1.</summary>
    public double Position(double value) => (Math.Log10(value) - LowDecade) / (HighDecade - LowDecade);

    /// <summary>1, 2 and 5 of every decade; the 2s and 5s are labelled only on an axis of two decades or fewer.</summary>
    public IEnumerable<(double Value, bool Labelled)> Ticks()
    {
        var few = HighDecade - LowDecade <= 2;
        for (var d = LowDecade; d <= HighDecade; d++)
        {
            var decade = Math.Pow(10, d);
            yield return (decade, true);
            if (d < HighDecade)
            {
                yield return (2 * decade, few);
                yield return (5 * decade, few);
            }
        }
    }

    public static string Label(double value) =>
        value >= 1 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);
}
