using System.Runtime.CompilerServices;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

internal sealed partial class ScimPager
{
    /// <summary>
    /// One pass by <c>startIndex</c> (RFC 7644 §3.4.2.4). The first page is read alone: its <c>totalResults</c> and
    /// the number of resources it held (the page size the server honours, whatever <c>count</c> asked) give every
    /// other page's position, so those are then read up to <c>maxConcurrentRequests</c> at a time. Pages are taken in
    /// the order they were asked for, so a failure names the same page whatever the timing, and no more pages than
    /// requests in flight, besides the one being taken, are ever held. A page shorter than planned leaves a gap that is asked
    /// for next.
    /// </summary>
    private async IAsyncEnumerable<ScimListItem> OffsetPassAsync(PageRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pass = request.Pass;
        var type = request.ResourceType;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var window = new Queue<(int Page, int Start, int End, Task<ScimDocument> Read)>();
        var plan = new PagePlan();
        var page = 0;

        void Fill()
        {
            while (window.Count < maxConcurrentRequests && pass.Requests < maxPages && plan.TryNext(out var next))
            {
                window.Enqueue((++page, next.Start, next.End, request.StartAsync($"startIndex={next.Start}&count={pageSize}", stop.Token)));
            }
        }

        try
        {
            while (true)
            {
                Fill();
                if (window.Count == 0)
                {
                    if (plan.HasMore)
                    {
                        throw Fail(type, page, $"gave up after {maxPages} pages without reaching totalResults ({pass.Total}).");
                    }

                    break;
                }

                var (at, from, to, read) = window.Dequeue();
                if (plan.Covers(from, to))
                {
                    // An earlier page held more than planned and already brought these positions: whatever this
                    // answer is, even a failure, it adds nothing.
                    await DiscardAsync(read);
                    continue;
                }

                ScimDocument document;
                try
                {
                    document = await read;
                }
                catch (BridgeException ex)
                {
                    throw new BridgeException(ex.Failure, $"Reading {type} page {at} (startIndex {from}) failed: {ex.Message}", ex.StatusCode, ex);
                }

                using (document)
                {
                    var root = document.RootElement;
                    var total = ScimListShape.TotalResults(root) ?? throw Fail(type, at, "the answer is not a SCIM ListResponse (no totalResults).");
                    var resources = request.Resources(root, total);
                    if (pass.Total is { } expected && total != expected)
                    {
                        pass.Unsettle(at, $"totalResults changed from {expected} to {total} while the directory was read.");
                        yield break;
                    }

                    pass.Total = total;
                    var count = resources.ValueKind == JsonValueKind.Array ? resources.GetArrayLength() : 0;
                    if (count == 0)
                    {
                        if (pass.Distinct < total)
                        {
                            pass.Unsettle(at, $"an empty page came after {pass.Distinct} of {total} resources.");
                            yield break;
                        }

                        continue;
                    }

                    if (at == 1)
                    {
                        plan.Place(total, count);
                    }

                    // The next requests go out before this page is taken, so that the bridge works while it is staged.
                    plan.Arrived(from, to, count);
                    Fill();
                    foreach (var item in pass.Take(document, resources, at))
                    {
                        yield return item;
                    }

                    if (pass.Distinct > total)
                    {
                        pass.Unsettle(at, $"more distinct resources ({pass.Distinct}) than totalResults ({total}).");
                        yield break;
                    }

                    if (pass.Fresh == 0)
                    {
                        // Every id on the page was read already: ids shifted, or the server ignored startIndex.
                        pass.Unsettle(at, $"the page repeated resources already read; only {pass.Distinct} of {total} were seen.");
                        yield break;
                    }
                }
            }

            if (pass.Distinct < pass.Total)
            {
                pass.Unsettle(page, $"only {pass.Distinct} of {pass.Total} resources were seen: ids shifted between pages.");
            }
        }
        finally
        {
            await stop.CancelAsync();
            while (window.Count > 0)
            {
                await DiscardAsync(window.Dequeue().Read);
            }
        }
    }
}
