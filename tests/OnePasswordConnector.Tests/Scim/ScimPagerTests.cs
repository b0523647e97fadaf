using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class ScimPagerTests
{
    private static readonly BridgeEndpoint Bridge = new(new Uri("https://bridge.example.org/scim"), "ops_unit_token");

    [Fact]
    public async Task A_server_that_ignores_count_and_returns_everything_at_once_gives_every_user_in_one_request()
    {
        var bridge = new ScriptedBridge(start => Page(5, start, Users(1, 5)));

        var ids = await EnumerateAsync(bridge, pageSize: 2);

        Assert.Equal(Ids(1, 5), ids);
        Assert.Equal([1], bridge.StartIndexes);
    }

    [Fact]
    public async Task Pages_shorter_than_count_are_followed_from_what_came_back_not_from_count_or_itemsPerPage()
    {
        var bridge = new ScriptedBridge(start => Page(5, start, Users(start, Math.Min(start + 1, 5)), itemsPerPage: 3));

        var ids = await EnumerateAsync(bridge, pageSize: 3);

        Assert.Equal(Ids(1, 5), ids);
        Assert.Equal([1, 3, 5], bridge.StartIndexes);
    }

    [Fact]
    public async Task A_server_that_answers_past_the_end_with_the_first_page_again_is_never_asked_past_totalResults()
    {
        var bridge = new ScriptedBridge(start => start > 5 ? Page(5, 1, Users(1, 2)) : Page(5, start, Users(start, Math.Min(start + 1, 5))));

        var ids = await EnumerateAsync(bridge, pageSize: 2);

        Assert.Equal(Ids(1, 5), ids);
        Assert.Equal([1, 3, 5], bridge.StartIndexes);
    }

    [Fact]
    public async Task The_same_id_on_two_pages_is_given_once_when_every_id_is_still_seen()
    {
        var bridge = new ScriptedBridge(start => start == 1 ? Page(3, 1, Users(1, 2)) : Page(3, start, Users(2, 3)));

        var ids = await EnumerateAsync(bridge, pageSize: 2);

        Assert.Equal(Ids(1, 3), ids);
    }

    [Fact]
    public async Task A_list_without_Resources_and_totalResults_zero_is_an_empty_directory()
    {
        var bridge = new ScriptedBridge(_ => """{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}""");

        var ids = await EnumerateAsync(bridge, pageSize: 2);

        Assert.Empty(ids);
    }

    [Fact]
    public async Task TotalResults_changing_between_pages_with_no_restart_allowed_fails_as_a_directory_that_changes_faster_than_it_is_read()
    {
        var bridge = new ScriptedBridge(start => Page(start == 1 ? 5 : 6, start, Users(start, start + 1)));

        var failure = await FailAsync(bridge, pageSize: 2);

        Assert.Contains("the directory changes faster than it can be read", failure.Message, StringComparison.Ordinal);
        Assert.Contains("page 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("totalResults changed from 5 to 6", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_page_before_totalResults_fails_instead_of_giving_a_partial_directory()
    {
        var bridge = new ScriptedBridge(start => start == 1 ? Page(5, 1, Users(1, 2)) : Page(5, start, []));

        var failure = await FailAsync(bridge, pageSize: 2);

        Assert.Contains("an empty page came after 2 of 5 resources", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ids_that_shift_so_a_page_repeats_what_was_read_fail_the_enumeration()
    {
        var bridge = new ScriptedBridge(start => start == 1 ? Page(5, 1, Users(1, 2)) : Page(5, start, Users(1, 2)));

        var failure = await FailAsync(bridge, pageSize: 2);

        Assert.Contains("the page repeated resources already read; only 2 of 5 were seen", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_distinct_ids_than_totalResults_fail_the_enumeration()
    {
        var bridge = new ScriptedBridge(start => Page(2, start, Users(1, 3)));

        var failure = await FailAsync(bridge, pageSize: 2);

        Assert.Contains("more distinct resources (3) than totalResults (2)", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Resources":[]}""")]
    [InlineData("""[{"id":"U1"}]""")]
    [InlineData("""{"detail":"Not a list","status":"200"}""")]
    public async Task An_answer_that_is_not_a_list_response_fails_the_enumeration(string body)
    {
        var failure = await FailAsync(new ScriptedBridge(_ => body), pageSize: 2);

        Assert.Contains("the answer is not a SCIM ListResponse", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resource_without_an_id_fails_the_enumeration()
    {
        var bridge = new ScriptedBridge(_ => """{"totalResults":1,"Resources":[{"userName":"ada@example.org"}]}""");

        var failure = await FailAsync(bridge, pageSize: 2);

        Assert.Contains("a resource has no id", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_reaches_totalResults_is_given_up_after_the_page_limit()
    {
        var bridge = new ScriptedBridge(start => Page(1_000, start, Users(start, start + 1)));

        var failure = await FailAsync(bridge, pageSize: 2, maxPages: 3);

        Assert.Contains("gave up after 3 pages without reaching totalResults (1000)", failure.Message, StringComparison.Ordinal);
        Assert.Equal([1, 3, 5], bridge.StartIndexes);
    }

    [Fact]
    public async Task A_failed_page_keeps_its_failure_and_names_the_page_and_startIndex()
    {
        var bridge = new ScriptedBridge(start => start == 1
            ? Page(5, 1, Users(1, 2))
            : throw new BridgeException(BridgeFailure.ServerError, "The bridge answered 500.", 500));

        var failure = await FailAsync(bridge, pageSize: 2);

        Assert.Equal(BridgeFailure.ServerError, failure.Failure);
        Assert.Equal(500, failure.StatusCode);
        Assert.StartsWith("Reading Users page 2 (startIndex 3) failed: The bridge answered 500.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Group_members_lifted_out_of_the_page_arrive_with_their_group()
    {
        const string page = """
            {"totalResults":2,"Resources":[
              {"id":"G1","displayName":"Owners","members":[{"value":"U1"},{"value":"G2","type":"Group"}]},
              {"id":"G2","displayName":"Empty","members":[]}]}
            """;
        var bridge = new ScriptedBridge(_ => page);
        var pager = new ScimPager(bridge.ReadAsync, pageSize: 2, maxPages: 10);

        var groups = new List<ScimListItem>();
        await foreach (var item in pager.EnumerateAsync(Bridge, "Groups", new NoProgress(), new EnumerationRecord()))
        {
            groups.Add(item);
        }

        Assert.True(bridge.ExtractedMembers);
        Assert.Equal([new ScimMember("U1", "User"), new ScimMember("G2", "Group")], groups[0].Members);
        Assert.Empty(groups[1].Members!);
    }

    private static async Task<List<string>> EnumerateAsync(ScriptedBridge bridge, int pageSize, int maxPages = 10)
    {
        var pager = new ScimPager(bridge.ReadAsync, pageSize, maxPages);
        var ids = new List<string>();
        await foreach (var item in pager.EnumerateAsync(Bridge, "Users", new NoProgress(), new EnumerationRecord()))
        {
            ids.Add(item.Resource.GetProperty("id").GetString()!);
        }

        return ids;
    }

    private static Task<BridgeException> FailAsync(ScriptedBridge bridge, int pageSize, int maxPages = 10) =>
        Assert.ThrowsAsync<BridgeException>(() => EnumerateAsync(bridge, pageSize, maxPages));

    internal static string[] Ids(int from, int to) => [.. Enumerable.Range(from, to - from + 1).Select(i => $"U{i}")];

    internal static string[] Users(int from, int to) =>
        [.. Ids(from, to).Select(id => $$"""{"id":"{{id}}","userName":"{{id.ToLowerInvariant()}}@example.org"}""")];

    internal static string Page(int totalResults, int startIndex, string[] resources, int? itemsPerPage = null) =>
        $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{{totalResults}},"startIndex":{{startIndex}},"itemsPerPage":{{itemsPerPage ?? resources.Length}},"Resources":[{{string.Join(",", resources)}}]}""";

    internal sealed class NoProgress : IEnumerationProgress
    {
        public void PageRead(string resourceType, int resources)
        {
        }
    }
}
