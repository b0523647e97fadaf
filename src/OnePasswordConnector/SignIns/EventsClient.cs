using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OnePasswordConnector.Scim;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace OnePasswordConnector.SignIns;

/// <summary>What <c>GET /api/v2/auth/introspect</c> says about a token (v1 spells the same fields capitalised).</summary>
internal sealed record Introspection(
    [property: JsonPropertyName("uuid")] string? Uuid,
    [property: JsonPropertyName("features")] string[]? Features,
    [property: JsonPropertyName("account_uuid")] string? AccountUuid);

/// <summary>One page of <c>POST /api/v2/signinattempts</c>.</summary>
internal sealed record SignInPage(
    [property: JsonPropertyName("cursor")] string? Cursor,
    [property: JsonPropertyName("has_more")] bool HasMore,
    [property: JsonPropertyName("items")] SignInItem[]? Items);

internal sealed record SignInItem(
    [property: JsonPropertyName("uuid")] string? Uuid,
    [property: JsonPropertyName("session_uuid")] string? SessionUuid,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("category")] string? Category,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("country")] string? Country,
    [property: JsonPropertyName("target_user")] TargetUser? TargetUser,
    [property: JsonPropertyName("client")] JsonElement? Client);

internal sealed record TargetUser(
    [property: JsonPropertyName("uuid")] string? Uuid,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("email")] string? Email);

/// <summary>A request to the Events API that failed, with a machine-readable code and a reason for the admin.</summary>
internal sealed class EventsException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// The 1Password Events API, read-only. The token travels only in the Authorization header; no failure message
/// quotes a request or a response body, so it cannot carry the token anywhere.
/// </summary>
internal sealed class EventsClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNameCaseInsensitive = true };

    /// <summary>v2 first; a 404 there means an older Events API, which answers the deprecated v1.</summary>
    public async Task<Introspection> IntrospectAsync(Uri baseUrl, string token, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync<Introspection>(HttpMethod.Get, new Uri(baseUrl, "/api/v2/auth/introspect"), token, null, cancellationToken);
        }
        catch (EventsException ex) when (ex.Code == "not_found")
        {
            return await SendAsync<Introspection>(HttpMethod.Get, new Uri(baseUrl, "/api/auth/introspect"), token, null, cancellationToken);
        }
    }

    /// <summary>A page from a reset cursor (<paramref name="startTime"/>) or from a saved <paramref name="cursor"/>.</summary>
    public async Task<SignInPage> SignInAttemptsAsync(
        Uri baseUrl, string token, string? cursor, DateTimeOffset startTime, int limit, CancellationToken cancellationToken)
    {
        var body = cursor is not null
            ? JsonSerializer.Serialize(new { cursor })
            : JsonSerializer.Serialize(new { limit, start_time = startTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) });
        try
        {
            return await SendAsync<SignInPage>(HttpMethod.Post, new Uri(baseUrl, "/api/v2/signinattempts"), token, body, cancellationToken);
        }
        catch (EventsException ex) when (ex.Code == "not_found")
        {
            // The published OpenAPI 1.2.0 has only v1, with the same request and a leaner item.
            return await SendAsync<SignInPage>(HttpMethod.Post, new Uri(baseUrl, "/api/v1/signinattempts"), token, body, cancellationToken);
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, Uri url, string token, string? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            // Buffered content: the retry policy may send the same request again.
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception ex) when (Failure(ex, url, cancellationToken) is { } failure)
        {
            throw failure;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw Rejected(response, url);
            }

            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                return await JsonSerializer.DeserializeAsync<T>(stream, Json, cancellationToken)
                    ?? throw new EventsException("bad_response", $"The Events API at {url.Host} answered {url.AbsolutePath} with null.");
            }
            catch (JsonException)
            {
                throw new EventsException("bad_response", $"The Events API at {url.Host} answered {url.AbsolutePath} with JSON this client cannot read.");
            }
        }
    }

    private static EventsException Rejected(HttpResponseMessage response, Uri url)
    {
        var status = (int)response.StatusCode;
        var where = $"The Events API at {url.Host} answered {url.AbsolutePath} with {status}";
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new EventsException("unauthorized", $"{where}: the token was rejected (wrong, expired or revoked). Issue a new Events Reporting token in 1Password."),
            HttpStatusCode.Forbidden => new EventsException("forbidden", $"{where}: the token may not read this."),
            HttpStatusCode.NotFound => new EventsException("not_found", $"{where}: no such endpoint."),
            HttpStatusCode.TooManyRequests => new EventsException("rate_limited",
                $"{where}: too many requests{(ScimClient.RetryAfter(response) is { } wait ? $" (Retry-After {wait.TotalSeconds:0} s)" : "")}, after the retries allowed."),
            _ when status >= 500 => new EventsException("server_error", $"{where}: the Events API failed, after the retries allowed."),
            _ => new EventsException("bad_response", $"{where}."),
        };
    }

    private static EventsException? Failure(Exception ex, Uri url, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => null,
        HttpRequestException { InnerException: BlockedAddressException blocked } => new EventsException("blocked_address", blocked.Message.Replace("bridge host", "Events API host", StringComparison.Ordinal)),
        TimeoutRejectedException or OperationCanceledException => new EventsException("timeout", $"The Events API at {url.Host} did not answer in time."),
        BrokenCircuitException => new EventsException("unreachable", $"The Events API at {url.Host} failed repeatedly; requests to it pause for a while."),
        HttpRequestException => new EventsException("unreachable", $"The Events API at {url.Host} could not be reached."),
        _ => null,
    };
}
