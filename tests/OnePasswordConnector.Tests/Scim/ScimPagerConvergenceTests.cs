using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

/// <summary>
/// Busy directories: a pass that sees the directory move starts again from the first page, the union of the passes is
/// yielded with each id once, and only a settled pass ends the enumeration.
/// </summary>
public sealed class ScimPagerConvergenceTests
{
    [Fact]
    public async Task A_deletion_between_pages_restarts_from_the_first_page_and_yields_each_id_once()
    {
        var directory = new LiveDirectory(PagerRun.Ids(1, 5));
        directory.EditsBeforeCall[2] = d => d.Remove("U01");
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3));

        Assert.Null(failure);
        Assert.Equal(["U01", "U02", "U03", "U04", "U05"], ids);
        Assert.Equal([1, 3, 1, 3], bridge.StartIndexes);
        Assert.Equal(1, record.Restarts);
        Assert.Equal(4, record.PagesRequested);
        Assert.Equal(2, record.PagesReread);
        Assert.Equal(5, record.TotalResultsFirst);
        Assert.Equal(4, record.TotalResultsLast);
        Assert.Equal(5, record.DistinctIds);
        Assert.Equal(0, record.DuplicatesDropped);
    }

    [Fact]
    public async Task A_user_added_before_the_offset_restarts_and_the_union_holds_everyone_once()
    {
        var directory = new LiveDirectory(PagerRun.Ids(2, 6));
        directory.EditsBeforeCall[2] = d => d.Add("U01");
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3));

        Assert.Null(failure);
        Assert.Equal(PagerRun.Ids(1, 6).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(1, record.Restarts);
        Assert.Equal(6, record.DistinctIds);
    }

    [Fact]
    public async Task Restarts_end_at_the_first_settled_pass()
    {
        var directory = new LiveDirectory(PagerRun.Ids(1, 6));
        directory.EditsBeforeCall[2] = d => d.Remove("U06");
        directory.EditsBeforeCall[4] = d => d.Add("U07");
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 5));

        Assert.Null(failure);
        Assert.Equal(2, record.Restarts);
        Assert.Equal([1, 3, 1, 3, 1, 3, 5], bridge.StartIndexes);
        Assert.Equal(7, record.PagesRequested);
        Assert.Equal(5, record.PagesReread);
        Assert.Equal([.. PagerRun.Ids(1, 5), "U07"], ids);
    }

    [Fact]
    public async Task A_directory_that_changes_on_every_pass_fails_after_the_allowed_restarts_with_each_id_yielded_once()
    {
        var directory = new LiveDirectory(PagerRun.Ids(10, 15));
        var next = 16;
        directory.EditBeforeEveryCall = (d, ask) =>
        {
            if (ask.StartIndex > 1)
            {
                d.Add($"U{next++:D2}");
            }
        };
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 2));

        Assert.NotNull(failure);
        Assert.Equal(BridgeFailure.InvalidResponse, failure.Failure);
        Assert.Contains("The Users enumeration is incomplete: the directory changes faster than it can be read (3 passes", failure.Message, StringComparison.Ordinal);
        Assert.Contains("at page 2: totalResults changed from 8 to 9", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, record.Restarts);
        Assert.Equal(6, record.PagesRequested);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_bridge_that_always_serves_an_empty_page_before_totalResults_fails_once_the_restarts_are_spent()
    {
        var bridge = new ScriptedBridge(start => start == 1
            ? ScimPagerTests.Page(5, 1, ScimPagerTests.Users(1, 2))
            : ScimPagerTests.Page(5, start, []));

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 1));

        Assert.NotNull(failure);
        Assert.Contains("(2 passes from the first page, none of them consistent)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("an empty page came after 2 of 5 resources", failure.Message, StringComparison.Ordinal);
        Assert.Equal(["U1", "U2"], ids);
        Assert.Equal(1, record.Restarts);
    }

    [Fact]
    public async Task Ids_that_shift_so_that_the_count_holds_but_fewer_distinct_ids_arrive_are_not_settled()
    {
        // Page 2 repeats U2 and page 3 serves U5: U4 is never seen although totalResults stays 5.
        var bridge = new ScriptedBridge(start => start switch
        {
            1 => ScimPagerTests.Page(5, 1, ScimPagerTests.Users(1, 2)),
            3 => ScimPagerTests.Page(5, 3, [.. ScimPagerTests.Users(2, 3)]),
            _ => ScimPagerTests.Page(5, 5, ScimPagerTests.Users(5, 5)),
        });

        var (_, _, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 0));

        Assert.NotNull(failure);
        Assert.Contains("only 4 of 5 resources were seen", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quiet_directory_fills_the_record_exactly()
    {
        var bridge = new ScriptedBridge(start => ScimPagerTests.Page(5, start, ScimPagerTests.Users(start, Math.Min(start + 1, 5)), itemsPerPage: 3));

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 3, maxPages: 10, maxConcurrentRequests: 4, restarts: 3));

        Assert.Null(failure);
        Assert.Equal(ScimPagerTests.Ids(1, 5), ids);
        Assert.Equal("offset", record.Paging);
        Assert.Equal("count=3", record.RequestParameters);
        Assert.Equal(3, record.PageSizeAsked);
        Assert.Equal(2, record.PageSizeHonoured);
        Assert.Equal(3, record.PagesRequested);
        Assert.Equal(5, record.TotalResultsFirst);
        Assert.Equal(5, record.TotalResultsLast);
        Assert.Equal(5, record.DistinctIds);
        Assert.Equal(0, record.DuplicatesDropped);
        Assert.Equal(0, record.PagesReread);
        Assert.Equal(0, record.Restarts);
    }

    [Fact]
    public async Task A_page_overlapping_the_one_before_counts_its_repeated_id_as_a_dropped_duplicate()
    {
        var bridge = new ScriptedBridge(start => start == 1
            ? ScimPagerTests.Page(3, 1, ScimPagerTests.Users(1, 2))
            : ScimPagerTests.Page(3, start, ScimPagerTests.Users(2, 3)));

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3));

        Assert.Null(failure);
        Assert.Equal(ScimPagerTests.Ids(1, 3), ids);
        Assert.Equal(1, record.DuplicatesDropped);
        Assert.Equal(0, record.Restarts);
    }

    [Fact]
    public async Task Offset_paging_cannot_see_a_deletion_before_the_offset_balanced_by_an_addition_after_it()
    {
        // The blind spot that removal checks cover: totalResults holds, every page is new, and U03 is skipped.
        var directory = new LiveDirectory(PagerRun.Ids(1, 5));
        directory.EditsBeforeCall[2] = d =>
        {
            d.Remove("U01");
            d.Add("U09");
        };
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3));

        Assert.Null(failure);
        Assert.Equal(["U01", "U02", "U04", "U05", "U09"], ids);
        Assert.Equal(0, record.Restarts);
    }

    [Fact]
    public async Task The_record_lists_exactly_the_ids_that_only_unsettled_passes_returned()
    {
        // Pass 1 reads U01 and U02, then U02 goes; pass 2 reads U01 and U03, then U01 goes; pass 3 settles on U03-U06.
        var directory = new LiveDirectory(PagerRun.Ids(1, 6));
        directory.EditsBeforeCall[2] = d => d.Remove("U02");
        directory.EditsBeforeCall[4] = d => d.Remove("U01");
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3));

        Assert.Null(failure);
        Assert.Equal(2, record.Restarts);
        Assert.Equal(PagerRun.Ids(1, 6), ids.Order(StringComparer.Ordinal));
        Assert.Equal(["U01", "U02"], record.Unsettled);
    }

    [Fact]
    public async Task An_id_the_settled_pass_saw_again_is_not_reported_as_unsettled()
    {
        // U01 goes while pass 1 reads and comes back before pass 2: the settled pass vouches for it.
        var directory = new LiveDirectory(PagerRun.Ids(1, 5));
        directory.EditsBeforeCall[2] = d => d.Remove("U01");
        directory.EditsBeforeCall[3] = d => d.Add("U01");
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3));

        Assert.Null(failure);
        Assert.Equal(1, record.Restarts);
        Assert.Equal(PagerRun.Ids(1, 5), ids);
        Assert.Empty(record.Unsettled);
    }

    [Fact]
    public async Task A_deletion_only_the_first_pass_saw_is_reported_by_cursor_paging_too()
    {
        // The first cursor pass reads U1 and U2, then its next page repeats U1: it restarts, and U1 is gone by then.
        var bridge = ScriptedBridge.Answering(ask => ask.Call switch
        {
            1 => $$"""{"totalResults":3,"nextCursor":"a","Resources":[{{string.Join(",", ScimPagerTests.Users(1, 2))}}]}""",
            2 => $$"""{"totalResults":3,"Resources":[{{string.Join(",", ScimPagerTests.Users(1, 1))}}]}""",
            _ => $$"""{"totalResults":2,"Resources":[{{string.Join(",", ScimPagerTests.Users(2, 3))}}]}""",
        });

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3, paging: ScimPaging.Cursor));

        Assert.Null(failure);
        Assert.Equal(1, record.Restarts);
        Assert.Equal(["U1", "U2", "U3"], ids);
        Assert.Equal(["U1"], record.Unsettled);
    }
}
