using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnePasswordConnector.DemoBridge;

/// <summary>
/// A fake 1Password Events API beside the demo bridge, so that a demo shows last sign-ins: <c>GET /api/v2/auth/introspect</c>
/// and <c>POST /api/v2/signinattempts</c> in the shape of 1Password's reference, with its own token. The attempts are
/// made up once, from the directory's users: most signed in lately, every seventh never did, every fifth last signed in
/// three to four months ago, every ninth also failed MFA. A cursor is the position after the last attempt sent.
/// </summary>
internal sealed class DemoEventsApi
{
    public const string AccountUuid = "DEMOACCOUNTAAAAAAAAAAAAAAA";

    private readonly BearerToken token;
    private readonly JsonObject[] attempts;

    public DemoEventsApi(string eventsToken, DemoDirectory directory)
    {
        token = new BearerToken(eventsToken);
        var now = directory.TimeProvider.GetUtcNow();
        attempts = [.. directory.Users.SelectMany((user, i) => Attempts(user, i, now)).OrderBy(a => a["timestamp"]!.GetValue<string>(), StringComparer.Ordinal)];
    }

    /// <summary>Answers requests under <c>/api/</c>; everything else goes on to the bridge.</summary>
    public async Task HandleAsync(HttpContext context, Func<Task> next)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next();
            return;
        }

        if (!token.Accepts(context.Request))
        {
            await WriteAsync(context, StatusCodes.Status401Unauthorized, Error("Unauthorized"));
        }
        else if (HttpMethods.IsGet(context.Request.Method) && path.Equals("/api/v2/auth/introspect", StringComparison.Ordinal))
        {
            await WriteAsync(context, StatusCodes.Status200OK, new JsonObject
            {
                ["uuid"] = "DEMOINTEGRATIONAAAAAAAAAAA",
                ["issued_at"] = "2026-01-01T00:00:00Z",
                ["features"] = new JsonArray("signinattempts", "itemusages", "auditevents"),
                ["account_uuid"] = AccountUuid,
            });
        }
        else if (HttpMethods.IsPost(context.Request.Method) && path.Equals("/api/v2/signinattempts", StringComparison.Ordinal))
        {
            await SignInAttemptsAsync(context);
        }
        else
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, Error("Not found"));
        }
    }

    private async Task SignInAttemptsAsync(HttpContext context)
    {
        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, Error("The body is not JSON."));
            return;
        }

        int start, limit = 100;
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("cursor", out var cursor))
        {
            if (!int.TryParse(cursor.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out start) || start > attempts.Length)
            {
                await WriteAsync(context, StatusCodes.Status400BadRequest, Error("Unknown cursor."));
                return;
            }
        }
        else
        {
            var from = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("start_time", out var s) ? s.GetDateTimeOffset() : DateTimeOffset.MinValue;
            limit = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("limit", out var l) ? Math.Clamp(l.GetInt32(), 1, 1000) : limit;
            start = Array.FindIndex(attempts, a => DateTimeOffset.Parse(a["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture) >= from);
            start = start < 0 ? attempts.Length : start;
        }

        var end = Math.Min(start + limit, attempts.Length);
        await WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["cursor"] = end.ToString(CultureInfo.InvariantCulture),
            ["has_more"] = end < attempts.Length,
            ["items"] = new JsonArray([.. attempts[start..end].Select(a => a.DeepClone())]),
        });
    }

    private static IEnumerable<JsonObject> Attempts(DemoUser user, int i, DateTimeOffset now)
    {
        if (i % 7 == 3)
        {
            yield break;
        }

        var lastDaysAgo = i % 5 == 4 ? 91 + (i % 28) : i % 20;
        yield return Attempt(user, i, "s", now.AddDays(-lastDaysAgo).AddHours(-(i % 24)), "success", "credentials_ok");
        if (i % 9 == 0)
        {
            yield return Attempt(user, i, "m1", now.AddDays(-1).AddHours(-3), "mfa_failed", "totp_bad");
            yield return Attempt(user, i, "m2", now.AddDays(-1).AddHours(-2), "mfa_failed", "totp_bad");
            yield return Attempt(user, i, "m3", now.AddDays(-1).AddHours(-1), "mfa_failed", "totp_bad");
        }
    }

    private static JsonObject Attempt(DemoUser user, int i, string suffix, DateTimeOffset at, string category, string type) => new()
    {
        ["uuid"] = $"DEMOSIGNIN{i:D6}{suffix}",
        ["session_uuid"] = $"DEMOSESSION{i:D6}",
        ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["category"] = category,
        ["type"] = type,
        ["country"] = "CA",
        ["details"] = null,
        ["target_user"] = new JsonObject { ["uuid"] = user.Id, ["name"] = user.DisplayName, ["email"] = user.Email },
        ["client"] = new JsonObject
        {
            ["app_name"] = "1Password for Web",
            ["app_version"] = "1852",
            ["platform_name"] = "Firefox",
            ["platform_version"] = "128.0",
            ["os_name"] = "Linux",
            ["os_version"] = "6.8",
            ["ip_address"] = "192.0.2.10",
        },
        ["location"] = new JsonObject { ["country"] = "CA", ["region"] = "Ontario", ["city"] = "Ottawa", ["latitude"] = 45.42, ["longitude"] = -75.69 },
    };

    private static JsonObject Error(string message) => new() { ["Error"] = new JsonObject { ["Message"] = message } };

    private static Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
