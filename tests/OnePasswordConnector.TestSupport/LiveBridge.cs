using System.Globalization;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// A bridge over real HTTP whose directory lives in memory and may change between any two requests: list pages by
/// <c>startIndex</c> and <c>count</c>, and single users and groups by id (404 when gone), as a 1Password bridge serves
/// them. <see cref="BeforePage"/> lets a test edit the directory while an enumeration is under way.
/// </summary>
public sealed class LiveBridge : IDisposable
{
    private readonly Lock gate = new();
    private readonly SortedDictionary<string, JsonObject> users = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, (string Name, List<string> Members)> groups = new(StringComparer.Ordinal);
    private int lookupsInFlight;
    private int maxLookupsInFlight;

    public LiveBridge()
    {
        Fake = new FakeBridge();
        Fake.ServeServiceProviderConfig();
        Fake.ServeHealth();
        Fake.Authorized("/scim/Users").RespondWith(Response.Create().WithCallback(request => PageAsync("Users", request)));
        Fake.Authorized("/scim/Groups").RespondWith(Response.Create().WithCallback(request => PageAsync("Groups", request)));
        foreach (var resource in new[] { "Users", "Groups" })
        {
            Fake.Server.Given(Request.Create().WithPath(new WildcardMatcher($"/scim/{resource}/*")).UsingGet()
                    .WithHeader("Authorization", $"Bearer {Fake.Token}"))
                .AtPriority(40)
                .RespondWith(Response.Create().WithCallback(request => LookupAsync(resource, request)));
        }

        Fake.RejectOtherTokens();
    }

    public FakeBridge Fake { get; }

    /// <summary>Called before a list page is answered, with the resource type and the page's startIndex.</summary>
    public Action<LiveBridge, string, int>? BeforePage { get; set; }

    /// <summary>
    /// When set, a list page waits for the task it returns (resource type, startIndex) before the directory is read
    /// for it, outside the directory's lock: a test holds one list back while the other is read.
    /// </summary>
    public Func<string, int, Task>? HoldPage { get; set; }

    /// <summary>When set, each single-resource read waits for one release of it: a test holds lookups in flight.</summary>
    public SemaphoreSlim? LookupGate { get; set; }

    public int LookupsInFlight => Volatile.Read(ref lookupsInFlight);

    public int MaxLookupsInFlight => Volatile.Read(ref maxLookupsInFlight);

    /// <summary>List pages leave the groups' members out; <c>GET /Groups/{id}</c> still has them.</summary>
    public bool ListGroupsWithoutMembers { get; set; }

    /// <summary>
    /// Groups, listed or read by id, carry no members; each user carries its groups instead (<c>groups</c>, RFC 7643 §4.1.2).
    /// </summary>
    public bool MembersOnlyOnUsers { get; set; }

    /// <summary>What a single read of a user or group answers instead of the resource, when it returns a status.</summary>
    public Func<string, string, int?>? LookupStatus { get; set; }

    public void PutUser(string id, string userName, string given, string family, bool active = true)
    {
        lock (gate)
        {
            users[id] = ScimPayload.User(id, userName, given, family, active);
        }
    }

    /// <summary>Users U<i>n</i> named user<i>n</i>@example.org, one for each number.</summary>
    public void PutUsers(IEnumerable<int> numbers)
    {
        foreach (var i in numbers)
        {
            PutUser($"U{i}", $"user{i}@example.org", "User", $"{i}");
        }
    }

    /// <summary>Five people, U1 to U5, with the names the sync tests know them by.</summary>
    public void PutTeamOfFive()
    {
        PutUser("U1", "ada@example.org", "Ada", "Lovelace");
        PutUser("U2", "grace@example.org", "Grace", "Hopper");
        PutUser("U3", "linus@example.org", "Linus", "Torvalds");
        PutUser("U4", "ken@example.org", "Ken", "Thompson");
        PutUser("U5", "barbara@example.org", "Barbara", "Liskov");
    }

    public void RemoveUser(string id)
    {
        lock (gate)
        {
            users.Remove(id);
            foreach (var group in groups.Values)
            {
                group.Members.Remove(id);
            }
        }
    }

    public void PutGroup(string id, string name, params string[] members)
    {
        lock (gate)
        {
            groups[id] = (name, [.. members]);
        }
    }

    public void RemoveGroup(string id)
    {
        lock (gate)
        {
            groups.Remove(id);
        }
    }

    public void AddMember(string groupId, string userId)
    {
        lock (gate)
        {
            if (!groups[groupId].Members.Contains(userId))
            {
                groups[groupId].Members.Add(userId);
            }
        }
    }

    public void RemoveMember(string groupId, string userId)
    {
        lock (gate)
        {
            groups[groupId].Members.Remove(userId);
        }
    }

    /// <summary>The directory as "id|userName|active" per user, in id order (as <see cref="SyncApp.CurrentUsersAsync"/> reads it).</summary>
    public List<string> UserRows()
    {
        lock (gate)
        {
            return [.. users.Values.Select(u => $"{u["id"]}|{u["userName"]}|{((bool)u["active"]!).ToString(CultureInfo.InvariantCulture)}")];
        }
    }

    public List<string> UserIds()
    {
        lock (gate)
        {
            return [.. users.Keys];
        }
    }

    /// <summary>Memberships as "groupId>memberId", ordered as <see cref="SyncApp.CurrentMembershipsAsync"/> orders them.</summary>
    public List<string> MembershipRows()
    {
        lock (gate)
        {
            return [.. groups.SelectMany(g => g.Value.Members.Select(m => $"{g.Key}>{m}")).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>A copy of the user as served: with its groups when only users carry the memberships.</summary>
    private JsonObject User(string id, JsonObject user)
    {
        var served = user.DeepClone().AsObject();
        if (MembersOnlyOnUsers)
        {
            served["groups"] = new JsonArray([.. groups.Where(g => g.Value.Members.Contains(id)).Select(g => (JsonNode)new JsonObject { ["value"] = g.Key })]);
        }

        return served;
    }

    private static JsonObject Group(string id, (string Name, List<string> Members) group) =>
        ScimPayload.Group(id, group.Name, [.. group.Members]);

    private async Task<IResponseMessage> PageAsync(string resource, IRequestMessage request)
    {
        if (HoldPage is { } hold)
        {
            await hold(resource, Query(request, "startIndex") ?? 1).WaitAsync(TimeSpan.FromSeconds(30));
        }

        return Page(resource, request);
    }

    private ResponseMessage Page(string resource, IRequestMessage request)
    {
        var start = Query(request, "startIndex") ?? 1;
        var count = Query(request, "count") ?? 100;
        lock (gate)
        {
            BeforePage?.Invoke(this, resource, start);
            List<JsonObject> all = resource == "Users" ? [.. users.Select(u => User(u.Key, u.Value))] : [.. groups.Select(g => Group(g.Key, g.Value))];
            if (resource == "Groups" && (ListGroupsWithoutMembers || MembersOnlyOnUsers))
            {
                all.ForEach(g => g.Remove("members"));
            }

            return Answer(200, ScimPayload.ListResponse(all.Skip(start - 1).Take(count), all.Count, start));
        }
    }

    private async Task<IResponseMessage> LookupAsync(string resource, IRequestMessage request)
    {
        var id = Uri.UnescapeDataString(request.Path[(request.Path.LastIndexOf('/') + 1)..]);
        var inFlight = Interlocked.Increment(ref lookupsInFlight);
        lock (gate)
        {
            maxLookupsInFlight = Math.Max(maxLookupsInFlight, inFlight);
        }

        try
        {
            if (LookupGate is { } hold)
            {
                await hold.WaitAsync(TimeSpan.FromSeconds(30));
            }

            if (LookupStatus?.Invoke(resource, id) is { } status)
            {
                return Answer(status, ScimPayload.Error(status, "scripted"));
            }

            lock (gate)
            {
                if (resource == "Users" && users.TryGetValue(id, out var user))
                {
                    return Answer(200, User(id, user));
                }

                if (resource == "Groups" && groups.TryGetValue(id, out var group))
                {
                    var answer = Group(id, group);
                    if (MembersOnlyOnUsers)
                    {
                        answer.Remove("members");
                    }

                    return Answer(200, answer);
                }

                return Answer(404, ScimPayload.Error(404, "Resource not found"));
            }
        }
        finally
        {
            Interlocked.Decrement(ref lookupsInFlight);
        }
    }

    private static int? Query(IRequestMessage request, string name) =>
        request.Query?.TryGetValue(name, out var values) == true && int.TryParse(values[0], CultureInfo.InvariantCulture, out var value) ? value : null;

    private static ResponseMessage Answer(int status, JsonNode body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new(FakeBridge.ScimJson) },
        BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String },
    };

    public void Dispose() => Fake.Dispose();
}
