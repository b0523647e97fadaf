using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

/// <summary>Cursor paging (RFC 9865) when the bridge announces it; offset paging otherwise.</summary>
public sealed class ScimPagerCursorTests
{
    [Fact]
    public async Task Cursor_paging_starts_with_an_empty_cursor_and_follows_nextCursor_until_a_page_has_none()
    {
        var bridge = ScriptedBridge.Answering(new LiveDirectory(PagerRun.Ids(1, 5)).Answer);

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, maxConcurrentRequests: 4, paging: ScimPaging.Cursor));

        Assert.Null(failure);
        Assert.Equal(PagerRun.Ids(1, 5), ids);
        Assert.Equal([null, "U02", "U04"], bridge.Cursors);
        Assert.Empty(bridge.StartIndexes);
        Assert.Equal(1, bridge.MaxInFlight);
        Assert.Equal("cursor", record.Paging);
        Assert.Equal("count=2", record.RequestParameters);
        Assert.Equal(3, record.PagesRequested);
        Assert.Equal(2, record.PageSizeHonoured);
        Assert.Equal(5, record.TotalResultsFirst);
        Assert.Equal(5, record.TotalResultsLast);
        Assert.Equal(5, record.DistinctIds);
        Assert.Equal(0, record.Restarts);
    }

    [Fact]
    public async Task Cursor_paging_keeps_every_user_that_offset_paging_skips_when_one_before_is_deleted_and_one_added()
    {
        var directory = new LiveDirectory(PagerRun.Ids(1, 5));
        directory.EditsBeforeCall[2] = d =>
        {
            d.Remove("U01");
            d.Add("U09");
        };
        var bridge = ScriptedBridge.Answering(directory.Answer);

        var (ids, _, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 3, paging: ScimPaging.Cursor));

        Assert.Null(failure);
        Assert.Contains("U03", ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_cursor_page_without_totalResults_is_read_to_the_end_of_the_cursor()
    {
        var bridge = ScriptedBridge.Answering(ask => ask.Cursor is null
            ? $$"""{"nextCursor":"b","Resources":[{{string.Join(",", ScimPagerTests.Users(1, 2))}}]}"""
            : $$"""{"Resources":[{{string.Join(",", ScimPagerTests.Users(3, 3))}}]}""");

        var (ids, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, paging: ScimPaging.Cursor));

        Assert.Null(failure);
        Assert.Equal(ScimPagerTests.Ids(1, 3), ids);
        Assert.Null(record.TotalResultsFirst);
    }

    [Fact]
    public async Task A_cursor_that_ends_short_of_a_steady_totalResults_is_not_settled()
    {
        var bridge = ScriptedBridge.Answering(ask => ask.Cursor is null
            ? $$"""{"totalResults":5,"nextCursor":"b","Resources":[{{string.Join(",", ScimPagerTests.Users(1, 2))}}]}"""
            : $$"""{"totalResults":5,"Resources":[{{string.Join(",", ScimPagerTests.Users(3, 4))}}]}""");

        var (_, record, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, restarts: 1, paging: ScimPaging.Cursor));

        Assert.NotNull(failure);
        Assert.Contains("the cursor ended after 4 distinct resources, but totalResults was 5 throughout", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, record.Restarts);
        Assert.Equal(2, record.PagesReread);
    }

    [Fact]
    public async Task A_cursor_handed_out_twice_is_a_loop_that_is_not_followed()
    {
        var bridge = ScriptedBridge.Answering(ask =>
            $$"""{"totalResults":9,"nextCursor":"same","Resources":[{{string.Join(",", ScimPagerTests.Users(ask.Call, ask.Call))}}]}""");

        var (_, _, failure) = await PagerRun.RunAsync(new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10, paging: ScimPaging.Cursor));

        Assert.NotNull(failure);
        Assert.Contains("the bridge handed out a cursor it had given before", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, bridge.Requests);
    }

    [Theory]
    [InlineData("""{"pagination":{"cursor":true,"index":true,"defaultPaginationMethod":"cursor"}}""", true)]
    [InlineData("""{"Pagination":{"Cursor":"true","index":false}}""", true)]
    [InlineData("""{"pagination":{"cursor":false,"index":true}}""", false)]
    [InlineData("""{"patch":{"supported":true},"filter":{"supported":true,"maxResults":10000}}""", false)]
    [InlineData("""not json""", false)]
    [InlineData(null, false)]
    public void Cursor_paging_is_used_only_when_the_ServiceProviderConfig_announces_it(string? serviceProviderConfig, bool cursor) =>
        Assert.Equal(cursor ? ScimPaging.Cursor : ScimPaging.Offset, ScimPagingAnnouncement.Read(serviceProviderConfig));
}
