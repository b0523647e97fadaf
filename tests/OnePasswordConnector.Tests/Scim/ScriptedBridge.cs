using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

/// <summary>What one page request asked for: its ordinal among all requests, and its position.</summary>
internal sealed record PageAsk(int Call, int? StartIndex, string? Cursor, bool ByCursor, int Count);

/// <summary>
/// A bridge scripted page by page: the body it answers for each request. Each read yields once before it answers, so
/// a pager that starts several reads has them all in flight together, and <see cref="MaxInFlight"/> counts them.
/// </summary>
internal sealed class ScriptedBridge
{
    private readonly Func<PageAsk, string> answer;
    private readonly Lock gate = new();
    private int requests;
    private int inFlight;
    private int maxInFlight;

    public ScriptedBridge(Func<int, string> byStartIndex)
    {
        answer = ask => byStartIndex(ask.StartIndex ?? 1);
    }

    private ScriptedBridge(Func<PageAsk, string> answer)
    {
        this.answer = answer;
    }

    /// <summary>A bridge that answers from the whole request: its ordinal, position and count.</summary>
    public static ScriptedBridge Answering(Func<PageAsk, string> answer) => new(answer);

    public List<int> StartIndexes { get; } = [];

    /// <summary>The cursor of each cursor request; null for the first, which sends an empty one.</summary>
    public List<string?> Cursors { get; } = [];

    public bool ExtractedMembers { get; private set; }

    public int Requests => Volatile.Read(ref requests);

    public int MaxInFlight => Volatile.Read(ref maxInFlight);

    public int InFlight
    {
        get
        {
            lock (gate)
            {
                return inFlight;
            }
        }
    }

    public async Task<ScimDocument> ReadAsync(BridgeEndpoint bridge, Uri uri, bool extractMembers, CancellationToken cancellationToken)
    {
        var ask = Parse(uri.Query, Interlocked.Increment(ref requests));
        lock (gate)
        {
            if (ask.StartIndex is { } start)
            {
                StartIndexes.Add(start);
            }

            if (ask.ByCursor)
            {
                Cursors.Add(ask.Cursor);
            }

            maxInFlight = Math.Max(maxInFlight, ++inFlight);
        }

        try
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return Document(answer(ask), extractMembers);
        }
        finally
        {
            lock (gate)
            {
                inFlight--;
            }
        }
    }

    private ScimDocument Document(string json, bool extractMembers)
    {
        var body = Encoding.UTF8.GetBytes(json);
        Dictionary<int, MemberList>? members = null;
        if (extractMembers)
        {
            ExtractedMembers = true;
            var without = new ArrayBufferWriter<byte>();
            members = MemberExtraction.Extract(body, without);
            body = without.WrittenSpan.ToArray();
        }

        var buffer = ArrayPool<byte>.Shared.Rent(body.Length);
        body.CopyTo(buffer, 0);
        return new ScimDocument(JsonDocument.Parse(buffer.AsMemory(0, body.Length)), buffer, members);
    }

    private static PageAsk Parse(string query, int call)
    {
        int? start = null;
        string? cursor = null;
        var byCursor = false;
        var count = 0;
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = part.IndexOf('=', StringComparison.Ordinal) is var at and >= 0
                ? (part[..at], Uri.UnescapeDataString(part[(at + 1)..]))
                : (part, "");
            switch (name)
            {
                case "startIndex":
                    start = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "cursor":
                    byCursor = true;
                    cursor = value.Length == 0 ? null : value;
                    break;
                case "count":
                    count = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
            }
        }

        return new PageAsk(call, start, cursor, byCursor, count);
    }
}

/// <summary>
/// A directory that can be edited between page requests and pages itself as a SCIM server would, by offset over its
/// ids in order, or by a cursor holding the last id returned (so that an edit elsewhere shifts nothing).
/// </summary>
internal sealed class LiveDirectory(IEnumerable<string> ids, int serverPageSize = int.MaxValue)
{
    private readonly Lock gate = new();
    private readonly SortedSet<string> ids = new(ids, StringComparer.Ordinal);

    /// <summary>Runs before the request with this ordinal is answered; the answer sees the edit.</summary>
    public Dictionary<int, Action<LiveDirectory>> EditsBeforeCall { get; } = [];

    /// <summary>Runs before every request is answered.</summary>
    public Action<LiveDirectory, PageAsk>? EditBeforeEveryCall { get; set; }

    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (gate)
            {
                return [.. ids];
            }
        }
    }

    public void Add(string id)
    {
        lock (gate)
        {
            ids.Add(id);
        }
    }

    public void Remove(string id)
    {
        lock (gate)
        {
            ids.Remove(id);
        }
    }

    public string Answer(PageAsk ask)
    {
        if (EditsBeforeCall.TryGetValue(ask.Call, out var edit))
        {
            edit(this);
        }

        EditBeforeEveryCall?.Invoke(this, ask);
        lock (gate)
        {
            var all = ids.ToList();
            var take = Math.Min(ask.Count, serverPageSize);
            if (ask.ByCursor)
            {
                var after = ask.Cursor is null ? all : [.. all.Where(id => string.CompareOrdinal(id, ask.Cursor) > 0)];
                var page = after.Take(take).ToList();
                var next = after.Count > page.Count ? $",\"nextCursor\":\"{page[^1]}\"" : "";
                return $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{{all.Count}},"itemsPerPage":{{page.Count}}{{next}},"Resources":[{{Resources(page)}}]}""";
            }

            var start = Math.Max(1, ask.StartIndex ?? 1);
            var items = all.Skip(start - 1).Take(take).ToList();
            return $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{{all.Count}},"startIndex":{{start}},"itemsPerPage":{{items.Count}},"Resources":[{{Resources(items)}}]}""";
        }
    }

    private static string Resources(IEnumerable<string> page) =>
        string.Join(",", page.Select(id => $$"""{"id":"{{id}}","userName":"{{id.ToLowerInvariant()}}@example.org"}"""));
}

/// <summary>Runs a pager to its end and keeps what it yielded, its record, and its failure if it failed.</summary>
internal static class PagerRun
{
    public static readonly BridgeEndpoint Bridge = new(new Uri("https://bridge.example.org/scim"), "ops_unit_token");

    public static async Task<(List<string> Ids, EnumerationRecord Record, BridgeException? Failure)> RunAsync(
        ScimPager pager, Action<int>? afterItem = null)
    {
        var record = new EnumerationRecord();
        var ids = new List<string>();
        try
        {
            await foreach (var item in pager.EnumerateAsync(Bridge, "Users", new ScimPagerTests.NoProgress(), record))
            {
                ids.Add(item.Resource.GetProperty("id").GetString()!);
                afterItem?.Invoke(ids.Count);
            }
        }
        catch (BridgeException failure)
        {
            return (ids, record, failure);
        }

        return (ids, record, null);
    }

    /// <summary>Zero-padded so that ordinal order is numeric order: U01, U02, ….</summary>
    public static string[] Ids(int from, int to) => [.. Enumerable.Range(from, to - from + 1).Select(i => $"U{i:D2}")];
}

/// <summary>
/// Runs async work with every continuation on one thread, in order: a read posted by the pager cannot finish while the
/// pager is still starting the next ones, so how many it starts at once shows exactly, whatever the machine's timing.
/// </summary>
internal sealed class OneThread : SynchronizationContext
{
    private readonly System.Collections.Concurrent.BlockingCollection<(SendOrPostCallback Callback, object? State)> queue = [];

    public static Task<T> RunAsync<T>(Func<Task<T>> work) => Task.Factory.StartNew(() =>
    {
        var context = new OneThread();
        SynchronizationContext.SetSynchronizationContext(context);
        var task = work();
        task.ContinueWith(_ => context.queue.CompleteAdding(), TaskScheduler.Default);
        foreach (var (callback, state) in context.queue.GetConsumingEnumerable())
        {
            callback(state);
        }

        return task;
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    public override void Post(SendOrPostCallback d, object? state) => queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();
}
