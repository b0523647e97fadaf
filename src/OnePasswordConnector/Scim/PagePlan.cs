namespace OnePasswordConnector.Scim;

/// <summary>
/// Which positions (1-based, up to <c>totalResults</c>) one offset pass still has to ask for. The first page is asked
/// for alone; the pages after it follow at the stride it showed, generated one at a time so that a server announcing
/// an absurd <c>totalResults</c> costs no memory; gaps left by short pages come first. What arrived is kept as merged
/// intervals, so a page that an earlier, fuller one already brought is never asked for or taken.
/// </summary>
internal sealed class PagePlan
{
    private readonly LinkedList<(int Start, int End)> gaps = new();
    private readonly List<(int From, int To)> received = [];
    private int nextStart;
    private int stride;
    private int total;
    private bool firstAsked;

    public bool HasMore => !firstAsked || gaps.Count > 0 || (stride > 0 && nextStart <= total);

    /// <summary>The next range to ask for that has not arrived yet, if any.</summary>
    public bool TryNext(out (int Start, int End) range)
    {
        if (!firstAsked)
        {
            firstAsked = true;
            range = (1, int.MaxValue);
            return true;
        }

        while (HasMore)
        {
            if (gaps.First is { } gap)
            {
                gaps.RemoveFirst();
                range = gap.Value;
            }
            else
            {
                range = (nextStart, (int)Math.Min(total, (long)nextStart + stride - 1));
                nextStart = (int)Math.Min(int.MaxValue, (long)nextStart + stride);
            }

            if (!Covers(range.Start, range.End))
            {
                return true;
            }
        }

        range = default;
        return false;
    }

    /// <summary>After the first page: every other page is <paramref name="pageSize"/> positions after the one before.</summary>
    public void Place(int totalResults, int pageSize)
    {
        total = totalResults;
        stride = pageSize;
        nextStart = 1 + pageSize;
    }

    /// <summary>Notes what a page asked for <paramref name="start"/>..<paramref name="end"/> brought; a short one leaves a gap, asked for next.</summary>
    public void Arrived(int start, int end, int count)
    {
        if (count <= 0)
        {
            return;
        }

        var to = (int)Math.Min(total == 0 ? int.MaxValue : total, (long)start + count - 1);
        Merge(start, to);
        if (start > 1 && to < end)
        {
            gaps.AddFirst((to + 1, end));
        }
    }

    public bool Covers(int start, int end)
    {
        foreach (var (from, to) in received)
        {
            if (from <= start && end <= to)
            {
                return true;
            }
        }

        return false;
    }

    private void Merge(int start, int end)
    {
        var at = 0;
        while (at < received.Count && received[at].To < start - 1)
        {
            at++;
        }

        while (at < received.Count && received[at].From <= end + 1)
        {
            start = Math.Min(start, received[at].From);
            end = Math.Max(end, received[at].To);
            received.RemoveAt(at);
        }

        received.Insert(at, (start, end));
    }
}
