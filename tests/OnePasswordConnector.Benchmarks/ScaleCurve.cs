using System.Globalization;
using System.Text;

namespace OnePasswordConnector.Benchmarks;

/// <summary>One size's figures on the scale curve: what the chart draws and the exponents are fitted to.</summary>
internal sealed record ScalePoint(
    string Size, int Users, double FullSync, double NoChangeResync, double ChurnResync, double FetchFloor, double WriteFloor, double PeakWorkingSetMb)
{
    public static ScalePoint From(SizeResult r) =>
        new(r.Size.Name, r.Users, r.FullSync, r.NoChangeResync, r.ChurnResync, r.FetchFloor, r.WriteFloor, r.PeakWorkingSetMb);
}

/// <summary>How sync time grows with the number of users, as the exponent b of time = a × users^b.</summary>
internal static class ScaleCurve
{
    /// <summary>
    /// The least-squares slope of log(value) against log(users): 1 is linear, 2 quadratic. Null with fewer than two
    /// distinct sizes, or when a value is not positive (a log-log fit is undefined there).
    /// </summary>
    public static double? Exponent(IReadOnlyList<(double Users, double Value)> points)
    {
        if (points.Any(p => p.Users <= 0 || p.Value <= 0) || points.Select(p => p.Users).Distinct().Count() < 2)
        {
            return null;
        }

        var xs = points.Select(p => Math.Log(p.Users)).ToArray();
        var ys = points.Select(p => Math.Log(p.Value)).ToArray();
        var meanX = xs.Average();
        var meanY = ys.Average();
        var covariance = xs.Zip(ys, (x, y) => (x - meanX) * (y - meanY)).Sum();
        var variance = xs.Sum(x => (x - meanX) * (x - meanX));
        return covariance / variance;
    }

    /// <summary>
    /// The scale keys of the summary, printed only when XL was run (two sizes fit any line; the exponent is
    /// reported over S, L and XL or whatever sizes ran with XL).
    /// </summary>
    public static string? SummaryLine(IReadOnlyList<ScalePoint> points)
    {
        var xl = points.LastOrDefault(p => p.Size == "XL");
        if (xl is null)
        {
            return null;
        }

        var full = Exponent([.. points.Select(p => ((double)p.Users, p.FullSync))]);
        var resync = Exponent([.. points.Select(p => ((double)p.Users, p.NoChangeResync))]);
        var small = points.FirstOrDefault(p => p.Size == "S");
        var ratio = small is null ? "" : string.Create(CultureInfo.InvariantCulture, $" ratio_peak_XL_vs_S={xl.PeakWorkingSetMb / small.PeakWorkingSetMb:F2}");
        return string.Create(CultureInfo.InvariantCulture,
            $"exponent_full_sync={Format(full)} exponent_resync={Format(resync)} peak_mb_XL={xl.PeakWorkingSetMb:F0}{ratio} sizes_fitted={string.Join(',', points.Select(p => p.Size))}");
    }

    /// <summary>The sizes side by side, as docs/performance.md shows them.</summary>
    public static string Table(IReadOnlyList<ScalePoint> points)
    {
        var s = new StringBuilder();
        s.AppendLine("### Scale curve");
        s.AppendLine();
        s.AppendLine("| size | users | full sync | no-change re-sync | 1 % change re-sync | fetch floor | write floor | peak working set |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in points)
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Size} | {p.Users:N0} | {p.FullSync:F2} s | {p.NoChangeResync:F2} s | {p.ChurnResync:F2} s | {p.FetchFloor:F2} s | {p.WriteFloor:F2} s | {p.PeakWorkingSetMb:F0} MB |");
        }

        return s.ToString();
    }

    private static string Format(double? exponent) =>
        exponent is { } e ? e.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
