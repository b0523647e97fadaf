using System.Runtime.CompilerServices;
using System.Text.Json;

namespace OnePasswordConnector.Scim;

internal sealed partial class ScimPager
{
    /// <summary>
    /// One pass by cursor (RFC 9865 §2): an empty <c>cursor</c> first, then each page's <c>nextCursor</c> until a page
    /// has none. One page at a time, since each position comes from the page before. The server keeps the position,
    /// so an edit elsewhere in the directory shifts nothing; <c>totalResults</c> is optional here, and when it changes
    /// during the pass the count proves nothing and the cursor is trusted.
    /// </summary>
    private async IAsyncEnumerable<ScimListItem> CursorPassAsync(PageRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pass = request.Pass;
        var type = request.ResourceType;
        var handedOut = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        for (var page = 1; ; page++)
        {
            if (pass.Requests >= maxPages)
            {
                throw Fail(type, page, $"gave up after {maxPages} pages without reaching the end of the bridge's cursor.");
            }

            // RFC 9865 §2: every request repeats the first one's parameters but for the cursor, which is empty at first.
            var query = cursor is null ? $"cursor&count={pageSize}" : $"cursor={Uri.EscapeDataString(cursor)}&count={pageSize}";
            ScimDocument document;
            try
            {
                document = await request.StartAsync(query, cancellationToken);
            }
            catch (BridgeException ex)
            {
                throw new BridgeException(ex.Failure, $"Reading {type} page {page} (by cursor) failed: {ex.Message}", ex.StatusCode, ex);
            }

            using (document)
            {
                var root = document.RootElement;
                var total = ScimListShape.TotalResults(root);
                if (total is null && ScimJson.Property(root, "Resources") is not { ValueKind: JsonValueKind.Array })
                {
                    throw Fail(type, page, "the answer is not a SCIM ListResponse (neither totalResults nor Resources).");
                }

                var resources = request.Resources(root, total);
                if (total is { } t)
                {
                    pass.TotalChanged |= pass.Total is { } first && first != t;
                    pass.Total ??= t;
                }

                foreach (var item in pass.Take(document, resources, page))
                {
                    yield return item;
                }

                if (resources.ValueKind == JsonValueKind.Array && resources.GetArrayLength() > 0 && pass.Fresh == 0)
                {
                    pass.Unsettle(page, $"the page repeated resources already read; {pass.Distinct} were seen.");
                    yield break;
                }

                cursor = ScimJson.String(root, "nextCursor");
                if (string.IsNullOrEmpty(cursor))
                {
                    break;
                }

                if (!handedOut.Add(cursor))
                {
                    pass.Unsettle(page, "the bridge handed out a cursor it had given before.");
                    yield break;
                }
            }
        }

        if (!pass.TotalChanged && pass.Total is { } announced && pass.Distinct != announced)
        {
            pass.Unsettle(pass.Requests, $"the cursor ended after {pass.Distinct} distinct resources, but totalResults was {announced} throughout.");
        }
    }
}
