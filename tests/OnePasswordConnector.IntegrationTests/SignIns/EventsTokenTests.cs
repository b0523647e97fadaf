using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.SignIns;

/// <summary>PUT, GET and DELETE of a connection's Events API token.</summary>
public sealed class EventsTokenTests(SignInApp app) : IClassFixture<SignInApp>
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task The_token_is_probed_stored_encrypted_and_shown_only_as_a_hint()
    {
        using var bridge = FakeBridge.Healthy();
        using var events = FakeEventsApi.Healthy("ACCOUNTBBBBBBBBBBBBBBBBBBB");
        var connectionId = await app.RegisterAsync(bridge);

        using var put = await app.PutEventsTokenAsync(connectionId, events.Token, events.Url);
        var stored = await put.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("…" + events.Token[^4..], stored.GetProperty("tokenHint").GetString());
        Assert.Equal("ACCOUNTBBBBBBBBBBBBBBBBBBB", stored.GetProperty("accountUuid").GetString());
        Assert.Contains("signinattempts", stored.GetProperty("features").EnumerateArray().Select(f => f.GetString()));
        Assert.Single(events.Server.LogEntries, e => e.RequestMessage.Path == "/api/v2/auth/introspect");
        var got = await app.GetJsonAsync(SignInApp.EventsTokenPath(connectionId));
        Assert.Equal(stored.GetProperty("tokenHint").GetString(), got.GetProperty("tokenHint").GetString());
        Assert.DoesNotContain(events.Token, await app.DumpDatabaseAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(events.Token, string.Join("\n", app.Logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_token_gets_a_422_that_says_so_and_nothing_is_stored()
    {
        using var bridge = FakeBridge.Healthy();
        using var events = FakeEventsApi.Healthy();
        var connectionId = await app.RegisterAsync(bridge);
        var expired = "eyJleHBpcmVkIjp0cnVlfQ." + Guid.NewGuid().ToString("N");
        SecretScan.Register(expired);

        var problem = await ProblemAsync(await app.PutEventsTokenAsync(connectionId, expired, events.Url), HttpStatusCode.UnprocessableEntity);

        Assert.Equal("unauthorized", problem.GetProperty("failure").GetString());
        Assert.Contains("token was rejected", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAsync(await app.ClientWithKey(ConnectorApp.AdminKey).GetAsync(SignInApp.EventsTokenPath(connectionId)), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_token_without_the_signinattempts_feature_gets_a_422()
    {
        using var bridge = FakeBridge.Healthy();
        using var events = new FakeEventsApi();
        events.ServeIntrospect(["auditevents", "itemusages"], "ACCOUNTAAAAAAAAAAAAAAAAAAA");
        events.RejectOtherTokens();
        var connectionId = await app.RegisterAsync(bridge);

        var problem = await ProblemAsync(await app.PutEventsTokenAsync(connectionId, events.Token, events.Url), HttpStatusCode.UnprocessableEntity);

        Assert.Equal("missing_feature", problem.GetProperty("failure").GetString());
        Assert.Contains("auditevents, itemusages", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_of_another_1Password_account_gets_a_422()
    {
        using var bridge = FakeBridge.Healthy();
        using var events = FakeEventsApi.Healthy();
        events.ServeAll(
        [
            FakeEventsApi.Attempt("X1", DateTimeOffset.UtcNow.AddDays(-3), "success", "OTHERUSER1AAAAAAAAAAAAAAAA", "someone@elsewhere.example"),
            FakeEventsApi.Attempt("X2", DateTimeOffset.UtcNow.AddDays(-2), "success", "OTHERUSER2AAAAAAAAAAAAAAAA", "another@elsewhere.example"),
        ], pageSize: 10);
        var connectionId = await app.RegisterAsync(bridge);
        await app.SyncAndCollectAsync(connectionId);

        var problem = await ProblemAsync(await app.PutEventsTokenAsync(connectionId, events.Token, events.Url), HttpStatusCode.UnprocessableEntity);

        Assert.Equal("other_account", problem.GetProperty("failure").GetString());
        Assert.Contains("another 1Password account", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mars")]
    [InlineData("https://events.example.org")]
    [InlineData("https://events.1password.com/api/v2")]
    [InlineData("https://user:pw@events.1password.eu")]
    [InlineData("https://10.0.0.8")]
    public async Task Only_1Passwords_events_hosts_and_configured_ones_are_accepted(string region)
    {
        using var bridge = FakeBridge.Healthy();
        var connectionId = await app.RegisterAsync(bridge);
        var token = "eyJyZWdpb24iOnRydWV9." + Guid.NewGuid().ToString("N");

        var problem = await ProblemAsync(await app.PutEventsTokenAsync(connectionId, token, region), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("region", out _), problem.ToString());
    }

    [Fact]
    public async Task A_missing_or_malformed_token_gets_a_400()
    {
        using var bridge = FakeBridge.Healthy();
        var connectionId = await app.RegisterAsync(bridge);

        var missing = await ProblemAsync(await app.PutEventsTokenAsync(connectionId, null!, "us"), HttpStatusCode.BadRequest);
        var spaced = await ProblemAsync(await app.PutEventsTokenAsync(connectionId, "has spaces in it", "us"), HttpStatusCode.BadRequest);

        Assert.True(missing.GetProperty("errors").TryGetProperty("token", out _), missing.ToString());
        Assert.True(spaced.GetProperty("errors").TryGetProperty("token", out _), spaced.ToString());
    }

    [Fact]
    public async Task Delete_removes_the_token_and_later_syncs_read_no_sign_ins()
    {
        using var bridge = FakeBridge.Healthy();
        using var events = FakeEventsApi.Healthy();
        events.ServeAll([], pageSize: 10);
        var connectionId = await app.RegisterAsync(bridge);
        await app.UseEventsAsync(connectionId, events);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var deleted = await client.DeleteAsync(SignInApp.EventsTokenPath(connectionId));
        var run = await app.SyncAndCollectAsync(connectionId);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAsync(await client.GetAsync(SignInApp.EventsTokenPath(connectionId)), HttpStatusCode.NotFound);
        await ProblemAsync(await client.DeleteAsync(SignInApp.EventsTokenPath(connectionId)), HttpStatusCode.NotFound);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Empty(events.SignInRequests());
        Assert.Equal(["null"], await app.QueryAsync("SELECT protected_token FROM events_sources WHERE connection_id = @c", connectionId));
    }
}
