using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// One scenario per paging quirk real SCIM servers show. Survivable quirks must still give
/// the complete directory; the others must fail the run and leave the stored directory as it was.
/// The service asks for pages of <see cref="SyncApp.PageSize"/> (2).
/// </summary>
public sealed class PagingQuirkTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static readonly JsonObject[] Team = ScimPayload.TeamOfFive();

    private static readonly string[] TeamIds = [.. Team.Select(u => (string)u["id"]!)];

    /// <summary>The sync's page requests, not the registration probe's one-item page.</summary>
    private static bool IsSyncUsersRequest(WireMock.Logging.ILogEntry e) =>
        e.RequestMessage.Path == "/scim/Users" && e.RequestMessage.RawQuery?.Contains("count=2", StringComparison.Ordinal) == true;

    private static FakeBridge Bridge(Action<FakeBridge> users)
    {
        var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        users(bridge);
        bridge.RejectOtherTokens();
        return bridge;
    }

    private async Task<(Guid Id, System.Text.Json.JsonElement Run)> SyncOnce(FakeBridge bridge)
    {
        var id = await app.RegisterAsync(bridge);
        return (id, await app.SyncAsync(id));
    }

    private async Task AssertCompleteTeam(Guid id, System.Text.Json.JsonElement run)
    {
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(TeamIds, (await app.CurrentUsersAsync(id)).Select(u => u.Split('|')[0]));
    }

    /// <summary>Registers against a well-behaved bridge and syncs the team, then swaps in the quirky user pages.</summary>
    private async Task<(Guid Id, FakeBridge Bridge)> SyncedTeam()
    {
        var bridge = Bridge(b => b.ServePaged("Users", Team, SyncApp.PageSize));
        var (id, run) = await SyncOnce(bridge);
        await AssertCompleteTeam(id, run);
        return (id, bridge);
    }

    private static void Reserve(FakeBridge bridge, Action<FakeBridge> users)
    {
        bridge.Server.Reset();
        bridge.ServeServiceProviderConfig();
        bridge.ServePaged("Groups", [], SyncApp.PageSize);
        users(bridge);
        bridge.RejectOtherTokens();
    }

    private async Task AssertFailedAndUntouched(Guid id, System.Text.Json.JsonElement run, string errorFragment)
    {
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains(errorFragment, run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(TeamIds, (await app.CurrentUsersAsync(id)).Select(u => u.Split('|')[0]));
        Assert.Empty(await app.ChangeEventsAsync(id));
    }

    [Fact]
    public async Task A_server_that_ignores_count_and_returns_everything_at_once_gives_the_complete_directory()
    {
        using var bridge = Bridge(b => b.ServePage("Users", 1, ScimPayload.ListResponse(Team, Team.Length, 1)));
        var (id, run) = await SyncOnce(bridge);
        await AssertCompleteTeam(id, run);
        Assert.Single(bridge.Server.LogEntries, IsSyncUsersRequest);
    }

    [Fact]
    public async Task Pages_shorter_than_count_and_an_itemsPerPage_that_echoes_count_are_followed_by_what_came_back()
    {
        using var bridge = Bridge(b =>
        {
            b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(1), Team.Length, 1, itemsPerPage: 2));
            b.ServePage("Users", 2, ScimPayload.ListResponse(Team.Skip(1).Take(2), Team.Length, 2, itemsPerPage: 2));
            b.ServePage("Users", 4, ScimPayload.ListResponse(Team.Skip(3).Take(1), Team.Length, 4, itemsPerPage: 2));
            b.ServePage("Users", 5, ScimPayload.ListResponse(Team.Skip(4), Team.Length, 5, itemsPerPage: 2));
        });
        var (id, run) = await SyncOnce(bridge);
        await AssertCompleteTeam(id, run);
    }

    [Fact]
    public async Task A_server_that_answers_past_the_end_with_the_first_page_again_is_stopped_at_totalResults()
    {
        using var bridge = Bridge(b =>
        {
            b.ServePaged("Users", Team, SyncApp.PageSize);
            // Anything else, including startIndex 7, gets the first page again.
            b.Server.Given(Request.Create().WithPath("/scim/Users").UsingGet()).AtPriority(20)
                .RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse(Team.Take(2), Team.Length, 1)));
        });
        var (id, run) = await SyncOnce(bridge);
        await AssertCompleteTeam(id, run);
        Assert.Equal(3, bridge.Server.LogEntries.Count(IsSyncUsersRequest));
    }

    [Fact]
    public async Task The_same_id_on_two_pages_is_stored_once_when_every_id_is_still_seen()
    {
        using var bridge = Bridge(b =>
        {
            b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), Team.Length, 1));
            b.ServePage("Users", 3, ScimPayload.ListResponse([Team[1], Team[2]], Team.Length, 3));
            b.ServePage("Users", 5, ScimPayload.ListResponse([Team[3], Team[4]], Team.Length, 5));
        });
        var (id, run) = await SyncOnce(bridge);
        await AssertCompleteTeam(id, run);
        Assert.Equal(5, run.GetProperty("users").GetProperty("seen").GetInt32());
    }

    [Fact]
    public async Task Resources_missing_from_an_empty_list_is_an_empty_directory_not_an_error()
    {
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServePage("Groups", 1, JsonNode.Parse("""{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0}""")!);
        bridge.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(1), 1, 1));
        bridge.RejectOtherTokens();

        var (id, run) = await SyncOnce(bridge);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Single(await app.CurrentUsersAsync(id));
    }

    [Fact]
    public async Task A_group_with_thousands_of_embedded_members_is_stored_member_by_member()
    {
        var members = Enumerable.Range(1, 5000).Select(i => $"U{i:D25}").ToArray();
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        bridge.ServePage("Groups", 1, ScimPayload.ListResponse([ScimPayload.Group("geveryoneeeeeeeeeeeeeeeeee", "Everyone", members)], 1, 1));
        bridge.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(1), 1, 1));
        bridge.RejectOtherTokens();

        var (id, run) = await SyncOnce(bridge);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(5000, run.GetProperty("memberships").GetProperty("seen").GetInt32());
        Assert.Equal(["5000"], await app.QueryAsync("SELECT count(DISTINCT member_id) FROM memberships WHERE connection_id = @c AND removed_at IS NULL", id));
        Assert.Equal(["False"], await app.QueryAsync("SELECT raw ? 'members' FROM directory_groups WHERE connection_id = @c", id));
    }

    [Fact]
    public async Task Groups_listed_without_members_get_them_from_the_group_itself()
    {
        using var bridge = new FakeBridge();
        bridge.ServeServiceProviderConfig();
        var listed = ScimPayload.Group("gaaaaaaaaaaaaaaaaaaaaaaaaa", "Owners");
        listed.Remove("members");
        bridge.ServePage("Groups", 1, ScimPayload.ListResponse([listed], 1, 1));
        bridge.Authorized("/scim/Groups/gaaaaaaaaaaaaaaaaaaaaaaaaa", priority: 5)
            .RespondWith(FakeBridge.Json(200, ScimPayload.Group("gaaaaaaaaaaaaaaaaaaaaaaaaa", "Owners", TeamIds[0], TeamIds[1])));
        bridge.ServePaged("Users", Team, SyncApp.PageSize);
        bridge.RejectOtherTokens();

        var (id, run) = await SyncOnce(bridge);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal([$"gaaaaaaaaaaaaaaaaaaaaaaaaa>{TeamIds[0]}", $"gaaaaaaaaaaaaaaaaaaaaaaaaa>{TeamIds[1]}"], await app.CurrentMembershipsAsync(id));
    }

    [Fact]
    public async Task TotalResults_changing_between_pages_fails_the_run_and_changes_nothing()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            Reserve(bridge, b =>
            {
                b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), 5, 1));
                b.ServePage("Users", 3, ScimPayload.ListResponse(Team.Skip(2).Take(1), 4, 3));
            });
            var run = await app.SyncAsync(id);
            await AssertFailedAndUntouched(id, run, "totalResults changed from 5 to 4");
        }
    }

    [Fact]
    public async Task An_empty_page_before_totalResults_fails_the_run_and_changes_nothing()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            Reserve(bridge, b =>
            {
                b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), 5, 1));
                b.ServePage("Users", 3, ScimPayload.ListResponse([], 5, 3));
            });
            var run = await app.SyncAsync(id);
            await AssertFailedAndUntouched(id, run, "an empty page came after 2 of 5");
        }
    }

    [Fact]
    public async Task Ids_that_shift_so_one_is_skipped_fail_the_run_and_change_nothing()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            // Page 2 repeats Grace (ids shifted); Linus is never seen; past the end the first page comes back.
            Reserve(bridge, b =>
            {
                b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), 5, 1));
                b.ServePage("Users", 3, ScimPayload.ListResponse([Team[1], Team[3]], 5, 3));
                b.ServePage("Users", 5, ScimPayload.ListResponse([Team[4]], 5, 5));
                b.ServePage("Users", 6, ScimPayload.ListResponse(Team.Take(2), 5, 1));
            });
            var run = await app.SyncAsync(id);
            await AssertFailedAndUntouched(id, run, "only 4 of 5 resources were seen");
        }
    }

    [Fact]
    public async Task A_page_that_is_not_a_list_response_fails_the_run_and_changes_nothing()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            Reserve(bridge, b => b.ServePage("Users", 1, JsonNode.Parse("""{"users":[]}""")!));
            var run = await app.SyncAsync(id);
            await AssertFailedAndUntouched(id, run, "not a SCIM ListResponse");
        }
    }

    [Fact]
    public async Task A_bridge_answering_500_on_page_3_every_time_fails_the_run_naming_the_page_and_keeps_the_previous_data()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            Reserve(bridge, b =>
            {
                b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), 5, 1));
                b.ServePage("Users", 3, ScimPayload.ListResponse(Team.Skip(2).Take(2), 5, 3));
                b.ServePage("Users", 5, ScimPayload.Error(500, "internal error"), 500);
            });
            var run = await app.SyncAsync(id);

            await AssertFailedAndUntouched(id, run, "Users page 3 (startIndex 5) failed");
            Assert.Contains("500", run.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(3, bridge.Server.LogEntries.Count(e => e.RequestMessage.Path == "/scim/Users" && e.RequestMessage.RawQuery!.Contains("startIndex=5", StringComparison.Ordinal)));
            var connection = await app.QueryAsync("SELECT status, consecutive_failures FROM connections WHERE id = @c", id);
            Assert.Equal(["failing|1"], connection);
        }
    }

    [Fact]
    public async Task A_directory_edited_during_the_first_read_is_read_again_from_the_first_page_and_the_sync_completes()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            // The first answer for startIndex 3 counts six users (one was being added); every later one, five.
            Reserve(bridge, b =>
            {
                b.ServePaged("Users", Team, SyncApp.PageSize);
                b.Server.Given(Request.Create().WithPath("/scim/Users").WithParam("startIndex", "3").UsingGet()).InScenario("busy").WillSetStateTo("settled").AtPriority(1)
                    .RespondWith(FakeBridge.Json(200, ScimPayload.ListResponse(Team.Skip(2).Take(2), 6, 3)));
            });
            var run = await app.SyncAsync(id);

            await AssertCompleteTeam(id, run);
            Assert.Equal(2, bridge.Server.LogEntries.Count(e => IsSyncUsersRequest(e) && e.RequestMessage.RawQuery!.Contains("startIndex=1&", StringComparison.Ordinal)));
            Assert.Empty(await app.ChangeEventsAsync(id, Guid.Parse(run.GetProperty("id").GetString()!)));
        }
    }

    [Fact]
    public async Task A_transient_503_and_a_429_with_retry_after_are_retried_and_the_sync_completes()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            Reserve(bridge, b =>
            {
                b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), 5, 1));
                b.Server.Given(Request.Create().WithPath("/scim/Users").WithParam("startIndex", "3").UsingGet()).InScenario("flaky").WillSetStateTo("throttled").AtPriority(1)
                    .RespondWith(Response.Create().WithStatusCode(503));
                b.Server.Given(Request.Create().WithPath("/scim/Users").WithParam("startIndex", "3").UsingGet()).InScenario("flaky").WhenStateIs("throttled").WillSetStateTo("ok").AtPriority(1)
                    .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "0"));
                b.ServePage("Users", 3, ScimPayload.ListResponse(Team.Skip(2).Take(2), 5, 3));
                b.ServePage("Users", 5, ScimPayload.ListResponse(Team.Skip(4), 5, 5));
            });
            var run = await app.SyncAsync(id);
            await AssertCompleteTeam(id, run);
        }
    }

    [Fact]
    public async Task A_401_in_the_middle_of_an_enumeration_fails_the_run_and_marks_the_connection_unauthorized()
    {
        var (id, bridge) = await SyncedTeam();
        using (bridge)
        {
            Reserve(bridge, b =>
            {
                b.ServePage("Users", 1, ScimPayload.ListResponse(Team.Take(2), 5, 1));
                b.ServePage("Users", 3, ScimPayload.Error(401, "token revoked"), 401);
            });
            var run = await app.SyncAsync(id);

            await AssertFailedAndUntouched(id, run, "rejected the bearer token");
            Assert.Single(bridge.Server.LogEntries, e => e.RequestMessage.RawQuery?.Contains("startIndex=3", StringComparison.Ordinal) == true);
            Assert.Equal(["unauthorized"], await app.QueryAsync("SELECT status FROM connections WHERE id = @c", id));
            Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(bridge.Token, StringComparison.Ordinal));
        }
    }
}
