namespace OnePasswordConnector.DemoBridge;

/// <summary>What the demo bridge counts of the list requests it serves, so tests and the benchmark can check concurrency.</summary>
public sealed partial class DemoDirectory
{
    private readonly Lock counterGate = new();
    private readonly long[] listRequests = new long[2];
    private readonly long[] cursorRequests = new long[2];
    private readonly Dictionary<(string Token, DemoResourceType? Type), (int Running, int Max)> listsInFlight = [];

    /// <summary>List requests served (authorised ones only) for a resource type.</summary>
    public long ListRequests(DemoResourceType resourceType) => Interlocked.Read(ref listRequests[(int)resourceType]);

    /// <summary>Of those, the ones paged by cursor (RFC 9865) rather than by startIndex.</summary>
    public long CursorListRequests(DemoResourceType resourceType) => Interlocked.Read(ref cursorRequests[(int)resourceType]);

    /// <summary>
    /// The most list requests that were in flight at once with this token, for one resource type or, when null, for
    /// both together. A sequential enumeration keeps this at 1; overlapping enumerations push it higher.
    /// </summary>
    public int MaxConcurrentListRequests(string bearerToken, DemoResourceType? resourceType = null)
    {
        lock (counterGate)
        {
            return listsInFlight.GetValueOrDefault((bearerToken, resourceType)).Max;
        }
    }

    public void ResetCounters()
    {
        lock (counterGate)
        {
            Array.Clear(listRequests);
            Array.Clear(cursorRequests);
            foreach (var key in listsInFlight.Keys.ToList())
            {
                listsInFlight[key] = (listsInFlight[key].Running, listsInFlight[key].Running);
            }
        }
    }

    internal IDisposable BeginListRequest(string bearerToken, DemoResourceType resourceType, bool byCursor = false)
    {
        Interlocked.Increment(ref listRequests[(int)resourceType]);
        if (byCursor)
        {
            Interlocked.Increment(ref cursorRequests[(int)resourceType]);
        }

        Track(bearerToken, +1, resourceType);
        return new ListRequest(this, bearerToken, resourceType);
    }

    private void Track(string bearerToken, int delta, DemoResourceType resourceType)
    {
        lock (counterGate)
        {
            foreach (var key in new[] { (bearerToken, (DemoResourceType?)resourceType), (bearerToken, null) })
            {
                var (running, max) = listsInFlight.GetValueOrDefault(key);
                running += delta;
                listsInFlight[key] = (running, Math.Max(max, running));
            }
        }
    }

    private sealed class ListRequest(DemoDirectory directory, string bearerToken, DemoResourceType resourceType) : IDisposable
    {
        public void Dispose() => directory.Track(bearerToken, -1, resourceType);
    }
}
