namespace OnePasswordConnector.Scim;

/// <summary>
/// At most <c>Sync:MaxConcurrentRequests</c> requests of one run in flight at once, whichever part of the run sends
/// them: a run reads users while it still stages groups, and member lists while it still pages, and the bridge must
/// see no more at once than it was promised.
/// </summary>
internal sealed class RequestThrottle(int maxConcurrentRequests) : IDisposable
{
    private readonly SemaphoreSlim slots = new(maxConcurrentRequests, maxConcurrentRequests);

    public ScimPageReader Pages(ScimPageReader read) =>
        (bridge, uri, extractMembers, cancellationToken) => RunAsync(() => read(bridge, uri, extractMembers, cancellationToken), cancellationToken);

    public async Task<T> RunAsync<T>(Func<Task<T>> request, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        try
        {
            return await request();
        }
        finally
        {
            slots.Release();
        }
    }

    public void Dispose() => slots.Dispose();
}
