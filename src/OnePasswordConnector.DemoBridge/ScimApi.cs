using System.Globalization;
using System.Text.RegularExpressions;

namespace OnePasswordConnector.DemoBridge;

/// <summary>The read side of the SCIM 2.0 API (RFC 7644 §3.4): list and get users and groups, and discovery.</summary>
internal sealed partial class ScimApi(DemoBridgeOptions options, DemoDirectory directory)
{
    private static readonly Dictionary<string, Func<DemoUser, string>> UserFilters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = u => u.Id,
        ["userName"] = u => u.UserName,
        ["displayName"] = u => u.DisplayName,
        ["emails.value"] = u => u.Email,
    };

    private static readonly Dictionary<string, Func<DemoGroup, string>> GroupFilters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = g => g.Id,
        ["displayName"] = g => g.DisplayName,
    };

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/Users", ListUsersAsync).WithMetadata(DelaysItself.Instance);
        routes.MapGet("/Users/{id}", GetUserAsync);
        routes.MapGet("/Groups", ListGroupsAsync).WithMetadata(DelaysItself.Instance);
        routes.MapGet("/Groups/{id}", GetGroupAsync);
        routes.MapGet("/ServiceProviderConfig", context =>
            ScimStream.WriteAsync(context.Response, StatusCodes.Status200OK, ScimDiscovery.ServiceProviderConfig(ScimBase(context), options)));
        routes.MapGet("/ResourceTypes", context =>
            ScimStream.WriteAsync(context.Response, StatusCodes.Status200OK, ScimDiscovery.ResourceTypes(ScimBase(context))));
        routes.MapGet("/Schemas", context =>
            ScimStream.WriteAsync(context.Response, StatusCodes.Status200OK, ScimDiscovery.Schemas(ScimBase(context))));
    }

    private Task ListUsersAsync(HttpContext context)
    {
        var snapshot = directory.Snapshot();
        var scimBase = ScimBase(context);
        return ListAsync(context, DemoResourceType.User, snapshot.Users, UserFilters, (stream, user) =>
        {
            ScimJson.WriteUser(stream.Json, user, scimBase);
            return ValueTask.CompletedTask;
        });
    }

    private Task ListGroupsAsync(HttpContext context)
    {
        var snapshot = directory.Snapshot();
        var scimBase = ScimBase(context);
        var withMembers = !ExcludesMembers(context.Request);
        return ListAsync(context, DemoResourceType.Group, snapshot.Groups, GroupFilters,
            (stream, group) => ScimJson.WriteGroupAsync(stream, group, snapshot, withMembers, scimBase));
    }

    private async Task GetUserAsync(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        if (directory.Snapshot().UserById.GetValueOrDefault(id) is not { } user)
        {
            await ScimJson.WriteErrorAsync(context.Response, StatusCodes.Status404NotFound, $"User {id} not found.");
            return;
        }

        await using var stream = ScimStream.Start(context.Response, StatusCodes.Status200OK);
        ScimJson.WriteUser(stream.Json, user, ScimBase(context));
    }

    private async Task GetGroupAsync(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        var snapshot = directory.Snapshot();
        if (snapshot.GroupById.GetValueOrDefault(id) is not { } group)
        {
            await ScimJson.WriteErrorAsync(context.Response, StatusCodes.Status404NotFound, $"Group {id} not found.");
            return;
        }

        await using var stream = ScimStream.Start(context.Response, StatusCodes.Status200OK);
        await ScimJson.WriteGroupAsync(stream, group, snapshot, !ExcludesMembers(context.Request), ScimBase(context));
    }

    private async Task ListAsync<T>(HttpContext context, DemoResourceType resourceType, T[] all,
        Dictionary<string, Func<T, string>> filterable, Func<ScimStream, T, ValueTask> write)
    {
        var query = context.Request.Query;
        var items = all;
        var filter = query["filter"].ToString();
        if (filter.Length > 0)
        {
            var match = EqualityFilter().Match(filter);
            if (!match.Success || !filterable.TryGetValue(match.Groups["attribute"].Value, out var attribute))
            {
                await Task.Delay(options.Latency, context.RequestAborted);
                await ScimJson.WriteErrorAsync(context.Response, StatusCodes.Status400BadRequest,
                    $"The demo bridge filters only with 'attribute eq \"value\"' on {string.Join(", ", filterable.Keys)}.",
                    "invalidFilter");
                return;
            }

            var value = match.Groups["value"].Value;
            items = [.. all.Where(item => string.Equals(attribute(item), value, StringComparison.OrdinalIgnoreCase))];
        }

        // RFC 7644 §3.4.2.4: startIndex is 1-based and below 1 means 1; a negative count means 0.
        var startIndex = Math.Max(1, QueryInt(query, "startIndex", 1));
        var count = Math.Clamp(QueryInt(query, "count", options.DefaultPageSize), 0, options.MaxPageSize);
        var skip = Math.Min(startIndex - 1, items.Length);
        var byCursor = DemoCursor.Applies(options.Paging, query);
        if (byCursor)
        {
            if (!DemoCursor.TrySkip(query["cursor"].ToString(), items, filterable["id"], out skip))
            {
                await Task.Delay(options.Latency, context.RequestAborted);
                await ScimJson.WriteErrorAsync(context.Response, StatusCodes.Status400BadRequest,
                    "The cursor is not one this bridge handed out: start again with an empty cursor.", "invalidCursor");
                return;
            }
        }

        var take = Math.Min(count, items.Length - skip);

        using var inFlight = directory.BeginListRequest(BearerToken.Presented(context.Request)!, resourceType, byCursor);
        if (options.Latency > TimeSpan.Zero)
        {
            // Inside the in-flight count, so that requests a client keeps waiting at once are counted together.
            await Task.Delay(options.Latency, context.RequestAborted);
        }

        await using var stream = ScimStream.Start(context.Response, StatusCodes.Status200OK);
        if (byCursor)
        {
            var next = skip + take < items.Length && take > 0 ? DemoCursor.After(filterable["id"](items[skip + take - 1])) : null;
            ScimJson.WriteListStart(stream.Json, items.Length, startIndex: null, take, next);
        }
        else
        {
            ScimJson.WriteListStart(stream.Json, items.Length, startIndex, take);
        }

        for (var i = skip; i < skip + take; i++)
        {
            await write(stream, items[i]);
            await stream.FlushIfFullAsync();
        }

        ScimJson.WriteListEnd(stream.Json);
    }

    private string ScimBase(HttpContext context) =>
        $"{context.Request.Scheme}://{context.Request.Host}{options.ScimBasePath.TrimEnd('/')}";

    private static bool ExcludesMembers(HttpRequest request) =>
        request.Query["excludedAttributes"].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(a => a.Equals("members", StringComparison.OrdinalIgnoreCase)
                || a.Equals($"{ScimJson.GroupSchema}:members", StringComparison.OrdinalIgnoreCase));

    private static int QueryInt(IQueryCollection query, string name, int fallback) =>
        int.TryParse(query[name].ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    [GeneratedRegex("""^\s*(?<attribute>[\w.]+)\s+eq\s+"(?<value>[^"]*)"\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex EqualityFilter();
}

/// <summary>Marks an endpoint that waits out <see cref="DemoBridgeOptions.Latency"/> itself instead of in the middleware.</summary>
internal sealed class DelaysItself
{
    public static readonly DelaysItself Instance = new();
}
