using OnePasswordConnector.AccessReview;

namespace OnePasswordConnector.Tests.AccessReview;

public sealed class AccessReviewCsvTests
{
    private static readonly DateTimeOffset FirstSeen = new DateTimeOffset(2026, 6, 30, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1234567);

    private static AccessReviewRow Row(string displayName = "Ada Lovelace", string? groupName = "Engineering", GroupRef[]? via = null) => new(
        "U1", "ada@example.org", displayName, "ada@example.org", ["ada@example.org", "ada@work.example"], "active", true, FirstSeen,
        groupName is null ? null : "g1", groupName, groupName is null ? null : FirstSeen.AddDays(1), via ?? []);

    private static async Task<string> CsvAsync(bool formulaEscape, params AccessReviewRow[] rows) => await CsvAsync(formulaEscape, null, rows);

    private static async Task<string> CsvAsync(bool formulaEscape, SheetInstants? shared, params AccessReviewRow[] rows)
    {
        using var text = new StringWriter();
        await using (var csv = AccessReviewCsv.Writer(text, formulaEscape))
        {
            await AccessReviewCsv.WriteHeaderAsync(csv);
            foreach (var row in rows)
            {
                await (shared is null ? AccessReviewCsv.WriteRowAsync(csv, row) : AccessReviewCsv.WriteRowAsync(csv, row, shared));
            }
        }

        return text.ToString();
    }

    [Fact]
    public async Task A_sheet_written_with_its_instants_remembered_is_the_sheet_written_line_by_line()
    {
        var later = FirstSeen.AddMinutes(5);
        AccessReviewRow[] rows =
        [
            Row(), Row(groupName: "Sales"), Row(groupName: null), Row() with { UserId = "U2", FirstSeenAt = later },
            Row() with { UserId = "U2", FirstSeenAt = later.ToOffset(TimeSpan.FromHours(-7)), MemberSince = later }, Row(),
        ];

        var remembered = await CsvAsync(true, new SheetInstants(), rows);

        Assert.Equal(await CsvAsync(true, rows), remembered);
        Assert.Contains("U2,ada@example.org,Ada Lovelace,ada@example.org,ada@example.org;ada@work.example,active,true,2026-06-30T12:05:00.123456Z,g1,Engineering,2026-06-30T12:05:00.123456Z,", remembered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sheet_is_one_header_row_then_one_line_per_row_each_ended_by_CRLF()
    {
        var csv = await CsvAsync(true, Row(), Row(groupName: null));

        Assert.Equal(
            "userId,userName,displayName,primaryEmail,emails,status,active,firstSeenAt,groupId,groupName,memberSince,viaGroupIds,viaGroupNames,lastSignInAt,lastFailedSignInAt,lastFailedSignInCategory,signInsLast30Days,mfaFailuresLast30Days,signInsKnownSince\r\n" +
            "U1,ada@example.org,Ada Lovelace,ada@example.org,ada@example.org;ada@work.example,active,true,2026-06-30T12:00:00.123456Z,g1,Engineering,2026-07-01T12:00:00.123456Z,,,,,,,,\r\n" +
            "U1,ada@example.org,Ada Lovelace,ada@example.org,ada@example.org;ada@work.example,active,true,2026-06-30T12:00:00.123456Z,,,,,,,,,,,\r\n",
            csv);
    }

    [Fact]
    public async Task A_nested_membership_lists_its_chain_outermost_first_joined_by_semicolons()
    {
        var csv = await CsvAsync(true, Row(groupName: "Administrators", via: [new("g7", "Team 7"), new("g9", "Team 9")]));

        Assert.EndsWith(",g1,Administrators,2026-07-01T12:00:00.123456Z,g7;g9,Team 7;Team 9,,,,,,\r\n", csv, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sammet, Jean", "\"Sammet, Jean\"")]
    [InlineData("Jean \"JJ\" Sammet", "\"Jean \"\"JJ\"\" Sammet\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData(" padded ", "\" padded \"")]
    [InlineData("plain", "plain")]
    public async Task A_cell_holding_a_comma_quote_line_break_or_edge_space_is_quoted_with_its_quotes_doubled(string displayName, string cell)
    {
        var csv = await CsvAsync(true, Row(displayName));

        Assert.Contains($",ada@example.org,{cell},ada@example.org,", csv, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=1+2")]
    [InlineData("+grace")]
    [InlineData("-linus")]
    [InlineData("@SUM(1+1)")]
    [InlineData("\tTabbed")]
    [InlineData("\rReturned")]
    public async Task A_cell_beginning_with_a_formula_character_gets_a_leading_quote_and_is_quoted(string groupName)
    {
        var csv = await CsvAsync(true, Row(groupName: groupName));

        Assert.Contains($",g1,\"'{groupName}\",", csv, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=1+2")]
    [InlineData("@SUM(1+1)")]
    public async Task Without_formula_escaping_a_formula_cell_is_written_exactly(string groupName)
    {
        var csv = await CsvAsync(false, Row(groupName: groupName));

        Assert.Contains($",g1,{groupName},", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("'", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_formula_character_inside_a_cell_is_left_alone()
    {
        var csv = await CsvAsync(true, Row("Ada = Countess"));

        Assert.Contains(",Ada = Countess,", csv, StringComparison.Ordinal);
    }
}
