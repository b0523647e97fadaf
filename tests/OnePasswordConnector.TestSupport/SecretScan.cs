using System.Collections.Concurrent;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// Every bearer token and API key the suite uses, and every place one must never appear: each app's captured log
/// lines and every response body its clients received. A fixture that finds one fails when it is disposed.
/// </summary>
public static class SecretScan
{
    private static readonly ConcurrentDictionary<string, byte> Secrets = new(StringComparer.Ordinal);
    private static long scannedTexts;

    public static long ScannedTexts => Interlocked.Read(ref scannedTexts);

    public static int SecretCount => Secrets.Count;

    public static void Register(string secret)
    {
        if (secret.Length >= 8)
        {
            Secrets.TryAdd(secret, 0);
        }
    }

    /// <summary>The secrets found in the texts, each with where it was found.</summary>
    public static List<string> Find(IEnumerable<string> texts, string where)
    {
        var hits = new List<string>();
        foreach (var text in texts)
        {
            Interlocked.Increment(ref scannedTexts);
            foreach (var secret in Secrets.Keys)
            {
                if (text.Contains(secret, StringComparison.Ordinal))
                {
                    hits.Add($"a secret ending in …{secret[^4..]} appears in {where}: {text[..Math.Min(200, text.Length)].Replace(secret, "<SECRET>", StringComparison.Ordinal)}");
                }
            }
        }

        return hits;
    }
}

/// <summary>Keeps every response (status, headers, body) a test client received, for the secret scan.</summary>
public sealed class ResponseRecorder
{
    private readonly ConcurrentQueue<string> bodies = new();

    public IReadOnlyCollection<string> Bodies => bodies;

    /// <summary>A handler for one client; handlers cannot be shared between clients.</summary>
    public DelegatingHandler CreateHandler() => new Recording(this);

    private sealed class Recording(ResponseRecorder recorder) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            // Buffered, so the test can still read the body after the recorder has.
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var headers = string.Join(";", response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}={string.Join(",", h.Value)}"));
            recorder.bodies.Enqueue($"{(int)response.StatusCode} {request.Method} {request.RequestUri?.PathAndQuery} {headers} {body}");
            return response;
        }
    }
}
