using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

/// <summary>A small 1Password directory for access-review tests, served by a fake bridge and changed between syncs.</summary>
internal static class ReviewDirectory
{
    public const string AdaId = "UAAAAAAAAAAAAAAAAAAAAAAAAA";
    public const string GraceId = "UBBBBBBBBBBBBBBBBBBBBBBBBB";
    public const string LinusId = "UCCCCCCCCCCCCCCCCCCCCCCCCC";
    public const string JeanId = "UDDDDDDDDDDDDDDDDDDDDDDDDD";
    public const string OwnersId = "gaaaaaaaaaaaaaaaaaaaaaaaaa";
    public const string EngineeringId = "gbbbbbbbbbbbbbbbbbbbbbbbbb";

    /// <summary>
    /// Users beside the synced ones ('B' and 25 digits, "Bulk User n"), each row about as wide as a real one (a user's
    /// raw SCIM JSON is about a kilobyte: 100,000 users fill about 12,000 pages), so that plans are those of a large
    /// directory. The caller analyses the tables when it has added all it needs.
    /// </summary>
    public static async Task AddBulkUsersAsync(NpgsqlConnection connection, Guid connectionId, int count)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO directory_users (connection_id, scim_id, user_name, given_name, family_name, formatted_name, display_name, primary_email,
                emails, active, raw, content_hash, valid_from, first_seen_at, last_seen_at)
            SELECT @c, 'B' || lpad(n::text, 25, '0'), 'bulk.user' || n || '@bulk.example', 'Bulk', 'User ' || n, 'Bulk User ' || n, 'Bulk User ' || n,
                   'bulk.user' || n || '@bulk.example', ARRAY['bulk.user' || n || '@bulk.example'], true, jsonb_build_object('schemas', repeat('x', 900)), '\x00', now(), now(), now()
            FROM generate_series(1, @n) n
            """, connection);
        insert.Parameters.AddWithValue("c", connectionId);
        insert.Parameters.AddWithValue("n", count);
        await insert.ExecuteNonQueryAsync();
    }

    public static JsonObject Ada() => ScimPayload.User(AdaId, "ada@example.org", "Ada", "Lovelace");

    public static JsonObject Grace(bool active = true) => ScimPayload.User(GraceId, "grace@example.org", "Grace", "Hopper", active);

    public static JsonObject Linus() => ScimPayload.User(LinusId, "linus@example.org", "Linus", "Torvalds", true, "linus@kernel.example");

    /// <summary>A name with a comma and quotes, and two emails: the CSV must quote it.</summary>
    public static JsonObject Jean() => ScimPayload.User(JeanId, "jean@example.org", "Jean, \"JJ\"", "Sammet", true, "jj@example.net");

    public static JsonObject Owners(params string[] members) => ScimPayload.Group(OwnersId, "Owners", members);

    public static JsonObject Engineering(params string[] members) => ScimPayload.Group(EngineeringId, "Engineering", members);

    public static FakeBridge Bridge(JsonObject[] users, JsonObject[] groups)
    {
        var bridge = new FakeBridge();
        Serve(bridge, users, groups);
        return bridge;
    }

    /// <summary>Serves a changed directory from the same bridge: the next sync sees it.</summary>
    public static void Reserve(FakeBridge bridge, JsonObject[] users, JsonObject[] groups)
    {
        bridge.Server.Reset();
        Serve(bridge, users, groups);
    }

    private static void Serve(FakeBridge bridge, JsonObject[] users, JsonObject[] groups)
    {
        bridge.ServeServiceProviderConfig();
        bridge.ServeHealth();
        bridge.ServePaged("Users", users, SyncApp.PageSize);
        bridge.ServePaged("Groups", groups, SyncApp.PageSize);
        bridge.RejectOtherTokens();
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Follows nextCursor until the last page and returns every item.</summary>
    public static async Task<List<JsonElement>> GetAllPagesAsync(HttpClient client, string url, int limit)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        var separator = url.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        do
        {
            var page = await GetJsonAsync(client, $"{url}{separator}limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}"));
            items.AddRange(page.GetProperty("items").EnumerateArray());
            Assert.True(page.GetProperty("items").GetArrayLength() <= limit);
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return items;
    }

    public static string[] Ids(IEnumerable<JsonElement> items, string property = "id") =>
        items.Select(i => i.GetProperty(property).GetString()!).ToArray();

    /// <summary>A strict RFC 4180 reader: quoted fields, doubled quotes, CRLF records.</summary>
    public static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        var quoted = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i += 2;
                    continue;
                }

                if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }

                i++;
                continue;
            }

            switch (c)
            {
                case '"':
                    Assert.True(field.Length == 0, "A quote may only open a field (RFC 4180 §2.5).");
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    Assert.True(i + 1 < text.Length && text[i + 1] == '\n', "Records end with CRLF (RFC 4180 §2.1).");
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add([.. fields]);
                    fields.Clear();
                    i++;
                    break;
                case '\n':
                    Assert.Fail("A bare LF outside quotes.");
                    break;
                default:
                    field.Append(c);
                    break;
            }

            i++;
        }

        Assert.False(quoted, "The file ends inside a quoted field.");
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add([.. fields]);
        }

        return records;
    }
}
