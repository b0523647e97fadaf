using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

/// <summary>Pages after the first are read concurrently, never more at once than allowed, and each id arrives once.</summary>
public sealed class ScimPagerParallelTests
{
    private static ScriptedBridge FortyUsers() =>
        ScriptedBridge.Answering(new LiveDirectory(PagerRun.Ids(1, 40)).Answer);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Pages_after_the_first_are_read_with_exactly_the_allowed_number_in_flight(int concurrency)
    {
        var bridge = FortyUsers();

        var (ids, record, failure) = await OneThread.RunAsync(() =>
            PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 100, maxConcurrentRequests: concurrency)));

        Assert.Null(failure);
        Assert.Equal(concurrency, bridge.MaxInFlight);
        Assert.Equal(PagerRun.Ids(1, 40), ids.Order(StringComparer.Ordinal));
        Assert.Equal(40, ids.Distinct().Count());
        Assert.Equal(20, record.PagesRequested);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => 1 + (2 * i)), bridge.StartIndexes);
    }

    [Fact]
    public async Task Reads_never_run_more_pages_ahead_of_the_consumer_than_requests_allowed_in_flight()
    {
        var bridge = FortyUsers();
        var furthestAhead = 0;

        await OneThread.RunAsync(() => PagerRun.RunAsync(
            new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 100, maxConcurrentRequests: 4),
            afterItem: taken => furthestAhead = Math.Max(furthestAhead, bridge.Requests - ((taken + 1) / 2))));

        // While the consumer holds a page, the four requests after it are out (the bridge never idles while a page is
        // staged), and no more: memory is 5 pages, not 40 users.
        Assert.Equal(4, furthestAhead);
    }

    [Fact]
    public async Task A_page_shorter_than_planned_leaves_a_gap_that_is_asked_for_next()
    {
        var bridge = new ScriptedBridge(start => start == 3
            ? ScimPagerTests.Page(6, 3, ScimPagerTests.Users(3, 3))
            : ScimPagerTests.Page(6, start, ScimPagerTests.Users(start, Math.Min(start + 1, 6))));

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, maxConcurrentRequests: 2));

        Assert.Null(failure);
        Assert.Equal(ScimPagerTests.Ids(1, 6), ids.Order(StringComparer.Ordinal));
        Assert.Equal([1, 3, 5, 4], bridge.StartIndexes);
        Assert.Equal(1, record.DuplicatesDropped);
    }

    [Fact]
    public async Task A_page_that_held_more_than_planned_makes_the_planned_page_it_covered_unneeded_even_when_that_one_fails()
    {
        // The first page holds one user, the second three: the page planned at startIndex 3 brings nothing new.
        var bridge = new ScriptedBridge(start => start switch
        {
            1 => ScimPagerTests.Page(5, 1, ScimPagerTests.Users(1, 1), itemsPerPage: 3),
            2 => ScimPagerTests.Page(5, 2, ScimPagerTests.Users(2, 4)),
            3 => throw new BridgeException(BridgeFailure.NotScim, "The bridge answered 404.", 404),
            _ => ScimPagerTests.Page(5, start, ScimPagerTests.Users(start, 5)),
        });

        var (ids, _, failure) = await OneThread.RunAsync(() =>
            PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 3, maxPages: 10, maxConcurrentRequests: 4)));

        Assert.Null(failure);
        Assert.Equal(ScimPagerTests.Ids(1, 5), ids);
        Assert.Equal([1, 2, 3, 4, 5], bridge.StartIndexes);
    }

    [Fact]
    public async Task A_failed_page_is_named_by_its_position_whichever_request_ends_first()
    {
        var bridge = new ScriptedBridge(start => start == 3
            ? throw new BridgeException(BridgeFailure.ServerError, "The bridge answered 500.", 500)
            : ScimPagerTests.Page(10, start, ScimPagerTests.Users(start, Math.Min(start + 1, 10))));

        var (_, _, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, maxConcurrentRequests: 4, restarts: 3));

        Assert.NotNull(failure);
        Assert.Equal(BridgeFailure.ServerError, failure.Failure);
        Assert.StartsWith("Reading Users page 2 (startIndex 3) failed: The bridge answered 500.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_absurd_totalResults_is_given_up_at_the_page_limit_without_planning_every_page()
    {
        var bridge = new ScriptedBridge(start => ScimPagerTests.Page(int.MaxValue, start, ScimPagerTests.Users(start, start + 1)));

        var (_, _, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 5, maxConcurrentRequests: 4));

        Assert.NotNull(failure);
        Assert.Contains($"gave up after 5 pages without reaching totalResults ({int.MaxValue})", failure.Message, StringComparison.Ordinal);
        Assert.Equal(5, bridge.Requests);
    }

    [Fact]
    public async Task A_consumer_that_stops_early_leaves_no_request_running()
    {
        var bridge = FortyUsers();
        var pager = new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 100, maxConcurrentRequests: 4);

        await foreach (var _ in pager.EnumerateAsync(PagerRun.Bridge, "Users", new ScimPagerTests.NoProgress(), new EnumerationRecord()))
        {
            if (bridge.Requests > 3)
            {
                break;
            }
        }

        Assert.Equal(0, bridge.InFlight);
        Assert.True(bridge.Requests < 20, $"{bridge.Requests} requests for a consumer that stopped early");
    }
}
