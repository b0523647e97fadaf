using System.Collections.Concurrent;
using System.Text.Json;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// Reads single resources (<c>GET /Users/{id}</c>, <c>GET /Groups/{id}</c>) with at most
/// <c>Sync:MaxConcurrentRequests</c> in flight: a bridge that answers each in a second would otherwise make a run wait
/// for every one in turn. The first failure stops the rest and fails the run.
/// </summary>
internal sealed class ResourceReads(ScimClient client, BridgeEndpoint bridge, int maxConcurrentRequests, RequestThrottle throttle)
{
    /// <summary>
    /// Each resource parsed, with the text replaced in it. With <paramref name="notFoundIsAnswer"/> a 404 is the answer
    /// "gone" (a null value) rather than a failure.
    /// </summary>
    public async Task<Dictionary<string, ResourceRead<T>>> ReadAsync<T>(
        string resourceType, IReadOnlyCollection<string> ids, bool notFoundIsAnswer, Func<JsonElement, T> parse,
        CancellationToken cancellationToken)
        where T : class
    {
        var results = new ConcurrentDictionary<string, ResourceRead<T>>(StringComparer.Ordinal);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxConcurrentRequests, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(ids, parallel, async (id, token) =>
        {
            var uri = bridge.Resolve($"{resourceType}/{Uri.EscapeDataString(id)}");
            try
            {
                using var document = await throttle.RunAsync(() => client.GetJsonAsync(bridge, uri, token), token);
                if (ScimJson.String(document.RootElement, "id") != id)
                {
                    throw new BridgeException(BridgeFailure.InvalidResponse,
                        $"{ScimClient.Describe(uri)} answered with a resource that is not {resourceType[..^1].ToLowerInvariant()} {id}.");
                }

                results[id] = new ResourceRead<T>(parse(document.RootElement), document.RepairsOf(-1));
            }
            catch (BridgeException ex) when (notFoundIsAnswer && ex.StatusCode == 404)
            {
                results[id] = new ResourceRead<T>(null, null);
            }
        });
        return new Dictionary<string, ResourceRead<T>>(results, StringComparer.Ordinal);
    }
}

/// <summary>One resource as read on its own; <see cref="Value"/> is null when the bridge answered 404.</summary>
internal readonly record struct ResourceRead<T>(T? Value, IReadOnlyList<LocatedRepair>? Repairs)
    where T : class;
