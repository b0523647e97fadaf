using System.Diagnostics;
using System.Text.Json;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Connections;

/// <summary>What a probe of a bridge found. On failure, <see cref="Failure"/> and <see cref="Detail"/> say why.</summary>
internal sealed record ProbeResult(
    bool Succeeded,
    BridgeFailure? Failure,
    string? Detail,
    Uri? ScimBase,
    long LatencyMs,
    string? BridgeVersion,
    string? BridgeBuild,
    string? ServiceProviderConfig,
    string? Health,
    int? TotalUsers);

/// <summary>
/// Checks, before anything is stored, that a URL and token reach a SCIM server that lets us list users:
/// <c>ServiceProviderConfig</c> and a one-item <c>/Users</c> page. A URL without a path gets its SCIM base discovered.
/// </summary>
internal sealed class BridgeProbe(IHttpClientFactory httpClients, TimeProvider time, ILogger<BridgeProbe> logger)
{
    public async Task<ProbeResult> ProbeAsync(BridgeUrl url, string token, CancellationToken cancellationToken)
    {
        var client = new ScimClient(httpClients.CreateClient(ScimSetup.ProbeClient));
        var started = time.GetTimestamp();
        Uri? scimBase = null;
        string? config = null;
        try
        {
            (scimBase, config) = await DiscoverAsync(client, url, token, cancellationToken);
            var endpoint = new BridgeEndpoint(scimBase, token);
            using var users = await client.GetJsonAsync(endpoint, endpoint.Resolve("Users?startIndex=1&count=1"), cancellationToken);
            var total = ScimListShape.TotalResults(users.RootElement)
                ?? throw new BridgeException(BridgeFailure.NotScim,
                    "GET /Users did not answer with a SCIM ListResponse: check that the URL is the bridge's SCIM base.");
            var (version, build, health) = await ReadHealthAsync(client, endpoint, cancellationToken);
            var latency = (long)time.GetElapsedTime(started).TotalMilliseconds;
            logger.LogInformation("Probe of {BridgeOrigin} succeeded in {LatencyMs} ms; SCIM base {ScimBase}, {TotalUsers} users",
                url.Origin, latency, scimBase, total);
            return new ProbeResult(true, null, null, scimBase, latency, version, build, config, health, total);
        }
        catch (BridgeException ex)
        {
            var failure = ex.Failure;
            var detail = ex.Message;
            if (failure == BridgeFailure.NotScim && ex.StatusCode == 404 && await AnswersPingAsync(client, url, cancellationToken))
            {
                failure = BridgeFailure.GoogleWorkspaceMode;
                detail = "The bridge is up (/ping answers) but refuses SCIM requests on /Users. A 1Password SCIM Bridge " +
                         "connected to Google Workspace does not serve SCIM to other clients: deploy a second bridge with the " +
                         "same scimsession and without Google Workspace settings, and register that bridge's URL.";
            }

            var latency = (long)time.GetElapsedTime(started).TotalMilliseconds;
            logger.LogInformation("Probe of {BridgeOrigin} failed ({Failure}) in {LatencyMs} ms: {Detail}", url.Origin, failure, latency, detail);
            return new ProbeResult(false, failure, detail, scimBase, latency, null, null, config, null, null);
        }
    }

    private static async Task<(Uri ScimBase, string Config)> DiscoverAsync(ScimClient client, BridgeUrl url, string token, CancellationToken cancellationToken)
    {
        BridgeException? last = null;
        foreach (var candidate in url.CandidateBases())
        {
            var endpoint = new BridgeEndpoint(candidate, token);
            try
            {
                using var config = await client.GetJsonAsync(endpoint, endpoint.Resolve("ServiceProviderConfig"), cancellationToken);
                if (ScimListShape.IsServiceProviderConfig(config.RootElement))
                {
                    return (candidate, config.RootElement.GetRawText());
                }

                last = new BridgeException(BridgeFailure.NotScim,
                    $"GET {endpoint.Resolve("ServiceProviderConfig").AbsolutePath} answered JSON that is not a SCIM ServiceProviderConfig.");
            }
            catch (BridgeException ex) when (ex.Failure is BridgeFailure.NotScim or BridgeFailure.InvalidResponse)
            {
                // Try the next base path; unreachable, timeout and a rejected token end discovery at once.
                last = ex;
            }
        }

        throw last ?? new BridgeException(BridgeFailure.NotScim, "No SCIM endpoint found.");
    }

    private static async Task<(string? Version, string? Build, string? Health)> ReadHealthAsync(
        ScimClient client, BridgeEndpoint endpoint, CancellationToken cancellationToken)
    {
        // /health is a 1Password bridge extra: other SCIM servers lack it, which is no failure.
        try
        {
            using var health = await client.GetJsonAsync(endpoint, new Uri(endpoint.Origin, "/health"), cancellationToken);
            var root = health.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }

            return (ScimJson.String(root, "version"), ScimJson.String(root, "build"), root.GetRawText());
        }
        catch (BridgeException)
        {
            return (null, null, null);
        }
    }

    private static async Task<bool> AnswersPingAsync(ScimClient client, BridgeUrl url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.SendAsync(new BridgeEndpoint(url.Origin, ""), new Uri(url.Origin, "/ping"), authenticate: false, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (BridgeException)
        {
            return false;
        }
    }
}
