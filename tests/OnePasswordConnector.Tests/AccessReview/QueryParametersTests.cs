using System.Buffers.Text;
using System.Text;
using OnePasswordConnector.AccessReview;

namespace OnePasswordConnector.Tests.AccessReview;

public sealed class QueryParametersTests
{
    private const string NotOurs = "The cursor is not one this list gave out. Pass nextCursor from the previous page unchanged, with the same sort.";

    [Fact]
    public void A_cursor_gives_back_the_keys_it_was_written_with_for_the_same_list()
    {
        var cursor = QueryParameters.EncodeCursor("access-review", "zoë, \"the\" admin@example.org", "U1", "");
        var query = new QueryParameters();

        Assert.Equal(["zoë, \"the\" admin@example.org", "U1", ""], query.Cursor(cursor, "access-review", 3)!);
        Assert.True(query.Valid);
    }

    [Fact]
    public void A_cursor_is_url_safe_base64_without_padding()
    {
        var cursor = QueryParameters.EncodeCursor("users:userName", "??>>~~", "U1");

        Assert.DoesNotContain('+', cursor);
        Assert.DoesNotContain('/', cursor);
        Assert.DoesNotContain('=', cursor);
    }

    [Theory]
    [InlineData("users:name", 2)]
    [InlineData("groups", 2)]
    [InlineData("users:userName", 3)]
    public void A_cursor_from_another_list_sort_or_key_count_is_refused(string kind, int parts)
    {
        var cursor = QueryParameters.EncodeCursor("users:userName", "ada@example.org", "U1");
        var query = new QueryParameters();

        Assert.Null(query.Cursor(cursor, kind, parts));
        Assert.Equal([NotOurs], query.Errors["cursor"]);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("bm90IGpzb24")]
    [InlineData("eyJhIjoxfQ")]
    [InlineData("WzEsMiwzXQ")]
    [InlineData("WyJncm91cHMiLG51bGwsIngiXQ")]
    public void A_cursor_that_is_not_base64url_json_of_strings_is_refused_without_an_exception(string cursor)
    {
        var query = new QueryParameters();

        Assert.Null(query.Cursor(cursor, "groups", 2));
        Assert.Equal([NotOurs], query.Errors["cursor"]);
    }

    [Fact]
    public void A_cursor_holding_a_NUL_key_is_refused_before_it_reaches_PostgreSQL()
    {
        var cursor = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("""["groups","a\u0000b","g1"]"""));
        var query = new QueryParameters();

        Assert.Null(query.Cursor(cursor, "groups", 2));
        Assert.False(query.Valid);
    }

    [Fact]
    public void No_cursor_means_the_first_page()
    {
        var query = new QueryParameters();

        Assert.Null(query.Cursor(null, "groups", 2));
        Assert.Null(query.Cursor("", "groups", 2));
        Assert.True(query.Valid);
    }

    [Fact]
    public void A_change_cursor_gives_back_the_event_instant_in_UTC_and_its_id()
    {
        var cursor = QueryParameters.EncodeCursor("changes", "2026-06-30T14:00:00.1234567+02:00", "1042");
        var query = new QueryParameters();

        Assert.Equal((new DateTimeOffset(2026, 6, 30, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567), 1042L), query.ChangeCursor(cursor));
        Assert.True(query.Valid);
    }

    [Theory]
    [InlineData("yesterday", "1042")]
    [InlineData("2026-06-30T12:00:00Z", "x")]
    public void A_change_cursor_whose_keys_are_no_instant_and_id_is_refused(string at, string id)
    {
        var query = new QueryParameters();

        Assert.Null(query.ChangeCursor(QueryParameters.EncodeCursor("changes", at, id)));
        Assert.Equal(["The cursor is not one this list gave out."], query.Errors["cursor"]);
    }

    [Theory]
    [InlineData(null, 100, true)]
    [InlineData(1, 1, true)]
    [InlineData(1000, 1000, true)]
    [InlineData(0, 0, false)]
    [InlineData(1001, 1001, false)]
    public void The_limit_defaults_to_100_and_must_lie_between_1_and_1000(int? limit, int expected, bool valid)
    {
        var query = new QueryParameters();

        Assert.Equal(expected, query.Limit(limit));
        Assert.Equal(valid, query.Valid);
        Assert.Equal(valid ? null : new[] { "The limit must be between 1 and 1000." }, query.Errors.GetValueOrDefault("limit"));
    }

    [Theory]
    [InlineData("2026-06-30T23:59:59Z", "2026-06-30T23:59:59.0000000+00:00")]
    [InlineData("2026-06-30T23:59:59", "2026-06-30T23:59:59.0000000+00:00")]
    [InlineData("2026-07-01T01:59:59+02:00", "2026-06-30T23:59:59.0000000+00:00")]
    [InlineData("2026-06-30", "2026-06-30T00:00:00.0000000+00:00")]
    public void An_instant_without_an_offset_is_taken_as_UTC_and_every_instant_is_given_in_UTC(string value, string expected)
    {
        var query = new QueryParameters();

        Assert.Equal(expected, query.Instant("asOf", value)?.ToString("O"));
        Assert.True(query.Valid);
    }

    [Fact]
    public void A_bad_instant_is_an_error_on_its_parameter_that_shows_the_expected_form()
    {
        var query = new QueryParameters();

        Assert.Null(query.Instant("since", "last tuesday"));
        Assert.Equal(["'last tuesday' is not an ISO 8601 timestamp such as 2026-06-30T23:59:59Z."], query.Errors["since"]);
        Assert.Null(new QueryParameters().Instant("since", " "));
    }

    [Theory]
    [InlineData("ada", "%ada%")]
    [InlineData("100%", "%100\\%%")]
    [InlineData("a_b", "%a\\_b%")]
    [InlineData("c:\\temp", "%c:\\\\temp%")]
    public void Search_text_becomes_a_contains_pattern_with_its_wildcards_taken_literally(string q, string pattern)
    {
        var query = new QueryParameters();

        Assert.Equal(pattern, query.Contains(q));
        Assert.True(query.Valid);
    }

    [Fact]
    public void Search_text_longer_than_200_characters_is_refused()
    {
        var query = new QueryParameters();

        Assert.Null(query.Contains(new string('a', 201)));
        Assert.Equal(["The search text must be at most 200 characters."], query.Errors["q"]);
        Assert.Equal("%" + new string('a', 200) + "%", new QueryParameters().Contains(new string('a', 200)));
    }

    [Theory]
    [InlineData("Active", "active", true)]
    [InlineData("SUSPENDED", "suspended", true)]
    [InlineData("transfer_pending", "transfer_pending", true)]
    [InlineData("in-active", null, false)]
    [InlineData("active'--", null, false)]
    [InlineData("", null, true)]
    public void A_status_is_one_word_compared_in_lower_case(string status, string? expected, bool valid)
    {
        var query = new QueryParameters();

        Assert.Equal(expected, query.Status(status));
        Assert.Equal(valid, query.Valid);
    }

    [Fact]
    public void A_value_outside_its_list_is_an_error_naming_the_allowed_values()
    {
        var query = new QueryParameters();

        Assert.True(query.OneOf("sort", null, ["userName", "name"]));
        Assert.False(query.OneOf("sort", "email", ["userName", "name"]));
        Assert.Equal(["'email' is not one of: userName, name."], query.Errors["sort"]);
    }

    [Fact]
    public void Every_bad_parameter_is_reported_at_once()
    {
        var query = new QueryParameters();

        query.Limit(0);
        query.Instant("asOf", "soon");
        query.Cursor("garbage", "groups", 2);

        Assert.Equal(["asOf", "cursor", "limit"], query.Errors.Keys.Order());
    }
}
