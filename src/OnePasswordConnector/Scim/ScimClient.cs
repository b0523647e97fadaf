using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

/// <summary>
/// The read-only SCIM 2.0 client. Every answer is either a parsed JSON document or a <see cref="BridgeException"/>
/// that says, in words an admin can act on, what went wrong.
/// </summary>
internal sealed class ScimClient(HttpClient http, long maxResponseBytes = ScimClient.DefaultMaxResponseBytes)
{
    public const string ScimMediaType = "application/scim+json";

    /// <summary>A page larger than this is refused rather than allowed to exhaust memory.</summary>
    public const long DefaultMaxResponseBytes = 256L * 1024 * 1024;

    /// <summary>GETs a SCIM resource and parses it. Status, media type and JSON are all checked.</summary>
    public async Task<ScimDocument> GetJsonAsync(BridgeEndpoint bridge, Uri uri, CancellationToken cancellationToken) =>
        await GetJsonAsync(bridge, uri, extractMembers: false, cancellationToken);

    /// <summary>As <see cref="GetJsonAsync(BridgeEndpoint, Uri, CancellationToken)"/>; with <paramref name="extractMembers"/>, a
    /// list page is read off the stream with its member arrays lifted out (see <see cref="ListPageReader"/>).</summary>
    public async Task<ScimDocument> GetJsonAsync(BridgeEndpoint bridge, Uri uri, bool extractMembers, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(bridge, uri, authenticate: true, cancellationToken);
        EnsureSuccess(response, uri);
        EnsureJson(response, uri);
        if (extractMembers)
        {
            return await ReadListPageAsync(response, uri, cancellationToken);
        }

        var (buffer, length) = await ReadBodyAsync(response, uri, cancellationToken);
        List<LocatedRepair>? repairs = null;
        try
        {
            if (StorableText.Repair(ref buffer, ref length) is { } found)
            {
                repairs = StorableText.Locate(buffer.AsSpan(0, length), found);
            }

            // Parsing from memory, not from the stream: JsonDocument then keeps the body as is instead of copying it
            // into ever larger buffers.
            return new ScimDocument(JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 64 }), buffer, null, repairs);
        }
        catch (JsonException ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw Malformed(uri, ex, response);
        }
    }

    private async Task<ScimDocument> ReadListPageAsync(HttpResponseMessage response, Uri uri, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > maxResponseBytes)
        {
            throw TooLarge(uri);
        }

        ListPage page;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            page = await ListPageReader.ReadAsync(body, maxResponseBytes, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw Malformed(uri, ex, response);
        }
        catch (InvalidDataException)
        {
            throw TooLarge(uri);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new BridgeException(BridgeFailure.Unreachable, $"The connection dropped while reading {Describe(uri)}: {ex.Message}", null, ex);
        }

        try
        {
            return new ScimDocument(JsonDocument.Parse(page.Buffer.AsMemory(0, page.Length), new JsonDocumentOptions { MaxDepth = 64 }),
                page.Buffer, page.Members, page.Repairs);
        }
        catch (JsonException ex)
        {
            ArrayPool<byte>.Shared.Return(page.Buffer);
            throw Malformed(uri, ex, response);
        }
    }

    private static BridgeException Malformed(Uri uri, JsonException ex, HttpResponseMessage response) =>
        new(BridgeFailure.InvalidResponse, $"{Describe(uri)} answered with malformed JSON ({ex.Message}).", (int)response.StatusCode);

    private async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response, Uri uri, CancellationToken cancellationToken)
    {
        var declared = response.Content.Headers.ContentLength;
        if (declared > maxResponseBytes)
        {
            throw TooLarge(uri);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(declared ?? 16 * 1024, 1));
        var length = 0;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= maxResponseBytes)
                    {
                        throw TooLarge(uri);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxResponseBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > maxResponseBytes)
                {
                    throw TooLarge(uri);
                }
            }
        }
        catch (Exception ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                throw new BridgeException(BridgeFailure.Unreachable, $"The connection dropped while reading {Describe(uri)}: {ex.Message}", null, ex);
            }

            throw;
        }
    }

    private BridgeException TooLarge(Uri uri) => new(BridgeFailure.InvalidResponse,
        $"{Describe(uri)} answered with more than {maxResponseBytes / 1048576} MB; the page is refused.");

    /// <summary>Sends a GET and maps transport failures to <see cref="BridgeException"/>; the caller checks the status.</summary>
    public async Task<HttpResponseMessage> SendAsync(BridgeEndpoint bridge, Uri uri, bool authenticate, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (authenticate)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bridge.Token);
        }

        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Polly.Timeout.TimeoutRejectedException ex)
        {
            throw new BridgeException(BridgeFailure.Timeout, $"The bridge did not answer {Describe(uri)} in time, after retries.", null, ex);
        }
        catch (Polly.CircuitBreaker.BrokenCircuitException ex)
        {
            throw new BridgeException(BridgeFailure.Unreachable,
                $"The bridge failed repeatedly and is paused (circuit open) for {uri.Host}; {Describe(uri)} was not sent.", null, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BridgeException(BridgeFailure.Timeout, $"The bridge did not answer {Describe(uri)} in time.", null, ex);
        }
        catch (HttpRequestException ex)
        {
            throw Transport(ex, uri);
        }
    }

    public static void EnsureSuccess(HttpResponseMessage response, Uri uri)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var where = Describe(uri);
        throw status switch
        {
            401 or 403 => new BridgeException(BridgeFailure.Unauthorized,
                $"The bridge rejected the bearer token ({status} on {where}): the token is wrong, expired or revoked.", status),
            404 => new BridgeException(BridgeFailure.NotScim, $"{where} answered 404 Not Found: this is not a SCIM endpoint.", status),
            429 => new BridgeException(BridgeFailure.RateLimited, $"The bridge is rate limiting requests (429 on {where}).", status)
            {
                RetryAfter = RetryAfter(response),
            },
            >= 500 => new BridgeException(BridgeFailure.ServerError, $"The bridge failed with {status} {response.ReasonPhrase} on {where}.", status)
            {
                RetryAfter = RetryAfter(response),
            },
            >= 300 and < 400 => new BridgeException(BridgeFailure.NotScim,
                $"{where} answered with a redirect ({status}); redirects are not followed. Register the final URL.", status),
            _ => new BridgeException(BridgeFailure.InvalidResponse, $"{where} answered {status} {response.ReasonPhrase}.", status),
        };
    }

    public static void EnsureJson(HttpResponseMessage response, Uri uri)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (mediaType.Contains("json", StringComparison.OrdinalIgnoreCase) || mediaType.Length == 0)
        {
            return;
        }

        var what = mediaType.Contains("html", StringComparison.OrdinalIgnoreCase) ? "an HTML page" : $"'{mediaType}'";
        throw new BridgeException(BridgeFailure.NotScim,
            $"{Describe(uri)} answered with {what} instead of SCIM JSON: check the URL, or a proxy or login page in front of the bridge.",
            (int)response.StatusCode);
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>The path and query of a bridge URL, the part that helps an admin and never contains a secret.</summary>
    public static string Describe(Uri uri) => $"GET {uri.PathAndQuery}";

    private static BridgeException Transport(HttpRequestException ex, Uri uri)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BlockedAddressException blocked:
                    return new BridgeException(BridgeFailure.BlockedAddress, blocked.Message, null, ex);
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return new BridgeException(BridgeFailure.Unreachable, $"The bridge host {uri.Host} could not be resolved (DNS lookup failed).", null, ex);
                case SocketException socket:
                    return new BridgeException(BridgeFailure.Unreachable,
                        $"Could not connect to the bridge at {uri.Host}:{uri.Port} ({socket.SocketErrorCode}).", null, ex);
                case System.Security.Authentication.AuthenticationException:
                    return new BridgeException(BridgeFailure.Unreachable,
                        $"The TLS handshake with {uri.Host} failed: {e.Message} Check the bridge's certificate.", null, ex);
            }
        }

        return ex.HttpRequestError == HttpRequestError.NameResolutionError
            ? new BridgeException(BridgeFailure.Unreachable, $"The bridge host {uri.Host} could not be resolved (DNS lookup failed).", null, ex)
            : new BridgeException(BridgeFailure.Unreachable, $"The request to {uri.Host} failed: {ex.Message}", null, ex);
    }
}
