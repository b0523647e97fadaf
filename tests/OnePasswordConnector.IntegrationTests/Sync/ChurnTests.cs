using System.Globalization;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Sync;

/// <summary>
/// A bridge edited while every enumeration is under way: users deleted before the page being read while others are
/// added (totalResults unchanged, so a page skips a user who still exists), users added or deleted alone, renamed,
/// and memberships moved. Pages of <see cref="SyncApp.PageSize"/> (2); the edits are drawn from a fixed seed.
/// </summary>
public sealed class ChurnTests(SyncApp app) : IClassFixture<SyncApp>
{
    [Fact]
    public async Task Over_20_churned_syncs_no_user_who_still_exists_is_recorded_removed_and_a_quiet_sync_stores_the_bridge_exactly()
    {
        using var bridge = new LiveBridge();
        var random = new Random(13);
        var next = 0;
        string NewUser()
        {
            var id = $"U{++next:D4}";
            bridge.PutUser(id, $"user{next}@example.org", "User", next.ToString(CultureInfo.InvariantCulture));
            return id;
        }

        var initial = Enumerable.Range(0, 12).Select(_ => NewUser()).ToList();
        bridge.PutGroup("G1", "Engineering", [.. initial.Take(5)]);
        bridge.PutGroup("G2", "Owners", [.. initial.Skip(4).Take(3)]);
        bridge.PutGroup("G3", "Support", [.. initial.Skip(7)]);
        var id = await app.RegisterAsync(bridge.Fake);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());

        var kinds = new List<string>();
        var refuted = 0;
        var succeeded = 0;
        for (var sync = 1; sync <= 20; sync++)
        {
            var userPage = 1 + (2 * random.Next(1, 5));
            var done = (Users: false, Groups: false);
            bridge.BeforePage = (b, resource, start) =>
            {
                if (resource == "Groups" && start == 3 && !done.Groups)
                {
                    done.Groups = true;
                    MoveMembership(b, random);
                }
                else if (resource == "Users" && start == userPage && !done.Users)
                {
                    done.Users = true;
                    kinds.Add(EditUsers(b, random, start, NewUser));
                }
            };
            var before = await app.StoredDirectoryAsync(id);

            var run = await app.SyncAsync(id);

            var status = run.GetProperty("status").GetString();
            if (status == "succeeded")
            {
                succeeded++;
                Assert.True(run.GetProperty("completeness").GetProperty("complete").GetBoolean(), $"Sync {sync}: {run}");
                refuted += run.GetProperty("completeness").GetProperty("users").GetProperty("removalsRefuted").GetInt32();
            }
            else
            {
                Assert.True(status == "failed", $"Sync {sync}: {run}");
                Assert.Equal(before, await app.StoredDirectoryAsync(id));
            }

            await AssertNoFalseLeaver(id, bridge, sync);
        }

        bridge.BeforePage = null;
        var quiet = await app.SyncAsync(id);

        Assert.True(quiet.GetProperty("completeness").GetProperty("complete").GetBoolean(), quiet.ToString());
        Assert.Equal(bridge.UserRows(), await app.CurrentUsersAsync(id));
        Assert.Equal(bridge.MembershipRows(), await app.CurrentMembershipsAsync(id));
        await AssertNoFalseLeaver(id, bridge, 21);
        // The scenario the test exists for happened, and was caught.
        Assert.Contains("delete before the offset and add", kinds);
        Assert.True(refuted > 0, $"No run met a user its enumeration skipped ({string.Join(", ", kinds)}).");
        Assert.True(succeeded >= 10, $"Only {succeeded} of 20 churned syncs succeeded ({string.Join(", ", kinds)}).");
    }

    /// <summary>Ids are never reused, so a user removed in the change feed or the directory must be gone from the bridge now.</summary>
    private async Task AssertNoFalseLeaver(Guid id, LiveBridge bridge, int sync)
    {
        var present = bridge.UserIds().ToHashSet(StringComparer.Ordinal);
        var removed = await app.QueryAsync("""
            SELECT subject_id FROM change_events WHERE connection_id = @c AND kind = 'user_removed'
            UNION SELECT scim_id FROM directory_users WHERE connection_id = @c AND removed_at IS NOT NULL
            """, id);
        Assert.True(!removed.Any(present.Contains), $"After sync {sync}, users recorded removed still exist: {string.Join(", ", removed.Where(present.Contains))}");
    }

    private static string EditUsers(LiveBridge bridge, Random random, int start, Func<string> newUser)
    {
        var ids = bridge.UserIds();
        switch (random.Next(10))
        {
            case < 5:
                bridge.RemoveUser(ids[random.Next(Math.Min(start - 1, ids.Count))]);
                newUser();
                return "delete before the offset and add";
            case 5:
                newUser();
                return "add";
            case 6:
                bridge.RemoveUser(ids[random.Next(ids.Count)]);
                return "delete";
            case 7:
                var renamed = ids[random.Next(ids.Count)];
                bridge.PutUser(renamed, $"{renamed.ToLowerInvariant()}@example.org", "Renamed", renamed);
                return "rename";
            default:
                MoveMembership(bridge, random);
                return "move a membership";
        }
    }

    private static void MoveMembership(LiveBridge bridge, Random random)
    {
        var ids = bridge.UserIds();
        var memberships = bridge.MembershipRows();
        if (memberships.Count > 0)
        {
            var (group, member) = memberships[random.Next(memberships.Count)].Split('>') is [var g, var m] ? (g, m) : default;
            bridge.RemoveMember(group, member);
        }

        bridge.AddMember($"G{random.Next(1, 4)}", ids[random.Next(ids.Count)]);
    }
}
