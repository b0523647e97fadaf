using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.SignIns;

/// <summary>Give the connection a 1Password Events API token, so that its syncs also read sign-in attempts.</summary>
/// <param name="Token">An Events Reporting integration token with the signinattempts feature. Checked against the Events API, stored encrypted, never shown again.</param>
/// <param name="Region" example="eu">us (default), ca, eu or enterprise; or the https URL of one of 1Password's Events API hosts.</param>
public sealed record EventsTokenRequest(
    [property: Required(AllowEmptyStrings = true, ErrorMessage = BearerTokenAttribute.Message), BearerToken] string? Token,
    string? Region);

/// <summary>The connection's Events API. The token itself is never shown: only its last four characters.</summary>
/// <param name="SignInsKnownSince">From when sign-in attempts are known (the first collection reads 120 days back); null before the first collection.</param>
/// <param name="LastError">Why the last collection stopped short; null when it read to the end.</param>
public sealed record EventsTokenResponse(
    string EventsUrl,
    string? TokenHint,
    string? AccountUuid,
    string[] Features,
    DateTimeOffset? SignInsKnownSince,
    DateTimeOffset? LastCollectedAt,
    string? LastError,
    DateTimeOffset UpdatedAt);

/// <summary>What the endpoint that stores an events token takes from the container, as one parameter.</summary>
internal sealed record EventsCheck(
    IHttpClientFactory HttpClients,
    TokenProtector Tokens,
    IOptionsMonitor<BridgeUrlPolicy> Policy,
    IOptions<EventsOptions> Options,
    TimeProvider Time,
    ILogger<EventsSource> Logger);

internal static class EventsTokenApi
{
    public static RouteGroupBuilder MapSignInsApi(this RouteGroupBuilder connection)
    {
        var group = connection.MapGroup("/events-token").WithTags("Sign-ins").ValidateBodies();
        group.MapPut("", Put).WithName("PutEventsToken")
            .WithSummary("Store or replace the 1Password Events API token")
            .WithDescription("Probes GET /api/v2/auth/introspect first: 422 when the token is rejected, lacks the signinattempts feature, " +
                             "or reads sign-ins of none of the connection's synced users (another 1Password account). Each later sync also reads sign-in attempts.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("", Get).WithName("GetEventsToken").WithSummary("The connection's Events API, its token's hint and how far collection got");
        group.MapDelete("", Delete).WithName("DeleteEventsToken")
            .WithSummary("Remove the Events API token").WithDescription("Syncs stop reading sign-ins; those already collected stay.");
        return group;
    }

    internal static async Task<Results<Ok<EventsTokenResponse>, ValidationProblem, ProblemHttpResult>> Put(
        Guid connectionId, RouteConnection route, EventsTokenRequest request, ConnectorDbContext db, [AsParameters] EventsCheck check,
        CancellationToken cancellationToken)
    {
        if (!EventsHosts.TryResolve(request.Region, check.Policy.CurrentValue, check.Options.Value, out var url, out var error))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["region"] = [error!] });
        }

        var client = new EventsClient(check.HttpClients.CreateClient(SignInsSetup.ProbeClient));
        Introspection introspection;
        try
        {
            introspection = await client.IntrospectAsync(url!, request.Token!, cancellationToken);
            if (!(introspection.Features ?? []).Contains("signinattempts", StringComparer.OrdinalIgnoreCase))
            {
                return Refused("missing_feature", $"The token may not read sign-in attempts: its features are [{string.Join(", ", introspection.Features ?? [])}]. " +
                                                  "Issue an Events Reporting token with sign-in attempts turned on.");
            }

            if (await OtherAccountAsync(client, url!, request.Token!, route.Id, db, check.Time, cancellationToken) is { } other)
            {
                return Refused("other_account", other);
            }
        }
        catch (EventsException ex)
        {
            return Refused(ex.Code, ex.Message);
        }

        var now = check.Time.GetUtcNow();
        var source = await db.EventsSources.FirstOrDefaultAsync(s => s.ConnectionId == route.Id, cancellationToken);
        if (source is null)
        {
            source = new EventsSource { ConnectionId = route.Id, EventsUrl = url!.AbsoluteUri.TrimEnd('/'), CreatedAt = now };
            db.EventsSources.Add(source);
        }
        else if (source.AccountUuid is not null && introspection.AccountUuid is not null && source.AccountUuid != introspection.AccountUuid)
        {
            // Another account's cursor means nothing here: collection starts over, 120 days back.
            source.Cursor = null;
            source.KnownSince = null;
            source.FirstCollectedAt = null;
        }

        source.EventsUrl = url!.AbsoluteUri.TrimEnd('/');
        source.ProtectedToken = check.Tokens.Protect(request.Token!);
        source.TokenHint = TokenProtector.Hint(request.Token!);
        source.AccountUuid = introspection.AccountUuid ?? source.AccountUuid;
        source.Features = introspection.Features ?? [];
        source.LastError = null;
        source.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        check.Logger.LogInformation("Stored an Events API token for connection {ConnectionId} at {EventsHost}", route.Id, url.Host);
        return TypedResults.Ok(ToResponse(source));
    }

    internal static async Task<Results<Ok<EventsTokenResponse>, ProblemHttpResult>> Get(
        Guid connectionId, RouteConnection route, ConnectorDbContext db, CancellationToken cancellationToken) =>
        await db.EventsSources.AsNoTracking().FirstOrDefaultAsync(s => s.ConnectionId == route.Id && s.ProtectedToken != null, cancellationToken) is { } source
            ? TypedResults.Ok(ToResponse(source))
            : NoToken();

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid connectionId, RouteConnection route, ConnectorDbContext db, TimeProvider time, ILogger<EventsSource> logger,
        CancellationToken cancellationToken)
    {
        // The source row stays, with its cursor and the attempts collected: they are history a past review may cite.
        var now = time.GetUtcNow();
        var removed = await db.EventsSources.Where(s => s.ConnectionId == route.Id && s.ProtectedToken != null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.ProtectedToken, (string?)null).SetProperty(e => e.TokenHint, (string?)null)
                .SetProperty(e => e.UpdatedAt, now), cancellationToken);
        if (removed == 0)
        {
            return NoToken();
        }

        logger.LogInformation("Removed the Events API token of connection {ConnectionId}", route.Id);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Whether the token reads another 1Password account than the bridge's. Introspection names the token's account but
    /// the bridge names none, so it is told from the sign-ins themselves: when the first page names users and not one
    /// of them is a user the bridge listed (by uuid or email), the token belongs elsewhere. Null when it cannot be told.
    /// </summary>
    private static async Task<string?> OtherAccountAsync(
        EventsClient client, Uri url, string token, Guid connectionId, ConnectorDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var users = await db.Users.AsNoTracking().Where(u => u.ConnectionId == connectionId)
            .Select(u => new { u.ScimId, u.PrimaryEmail, u.UserName }).ToListAsync(cancellationToken);
        if (users.Count == 0)
        {
            return null;
        }

        var match = new UserMatch();
        users.ForEach(u => match.Add(u.ScimId, u.PrimaryEmail, u.UserName));
        var page = await client.SignInAttemptsAsync(url, token, null, time.GetUtcNow().AddDays(-SignInCollector.EventsApiRetentionDays), 100, cancellationToken);
        var named = (page.Items ?? []).Where(i => i.TargetUser is not null).ToArray();
        return named.Length > 0 && named.All(i => match.Match(i) is null)
            ? $"The token reads the sign-ins of another 1Password account: none of the {named.Length} users its first sign-in attempts name " +
              $"is one of the {users.Count} users this connection's bridge listed. Issue the token in the bridge's account."
            : null;
    }

    private static ProblemHttpResult Refused(string failure, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The Events API check failed", detail: detail,
            extensions: new Dictionary<string, object?> { ["failure"] = failure });

    private static ProblemHttpResult NoToken() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "This connection has no Events API token.");

    private static EventsTokenResponse ToResponse(EventsSource s) =>
        new(s.EventsUrl, s.TokenHint, s.AccountUuid, s.Features, s.KnownSince, s.LastCollectedAt, s.LastError, s.UpdatedAt);
}
