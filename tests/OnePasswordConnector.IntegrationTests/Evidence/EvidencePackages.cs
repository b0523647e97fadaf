using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.Evidence;

/// <summary>Arranging reviews, downloading packages and taking them apart, for the evidence tests.</summary>
internal static class EvidencePackages
{
    public static string Base(Guid id) => $"/api/v1/tenants/{ConnectorApp.Acme}/connections/{id}";

    /// <summary>A connection synced twice with changes between, and a review after each sync; returns the second review's path.</summary>
    public static async Task<(Guid ConnectionId, string FirstReview, string SecondReview)> TwoReviewsAsync(SyncApp app, FakeBridge bridge)
    {
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var first = await CreateReviewAsync(client, id, "Q3, \"first\"");
        Reserve(bridge, [Ada(), Grace(active: false), Jean()], [Owners(AdaId, GraceId), Engineering(AdaId, JeanId)]);
        await app.SyncAsync(id);
        var second = await CreateReviewAsync(client, id, "Q4");
        return (id, first, second);
    }

    public static async Task<string> CreateReviewAsync(HttpClient client, Guid connectionId, string name)
    {
        var response = await client.PostAsJsonAsync($"{Base(connectionId)}/reviews", new { name });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.OriginalString;
    }

    public static async Task<byte[]> DownloadAsync(HttpClient client, string review)
    {
        var response = await client.GetAsync($"{review}/evidence");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    public static Dictionary<string, byte[]> Entries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var stream = e.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        });
    }

    public static string[] EntryNames(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e => e.FullName).ToArray();
    }

    /// <summary>The package with one byte of one file changed (the middle byte, or the one at <paramref name="at"/>).</summary>
    public static byte[] Tamper(byte[] zip, string file, int? at = null)
    {
        var entries = Entries(zip);
        var content = entries[file];
        var i = at ?? content.Length / 2;
        content[i] = (byte)(content[i] == (byte)'7' ? '8' : '7');
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var name in EntryNames(zip))
            {
                using var stream = archive.CreateEntry(name).Open();
                stream.Write(entries[name]);
            }
        }

        return buffer.ToArray();
    }

    public static async Task<JsonElement> VerifyAsync(HttpClient client, byte[] zip)
    {
        using var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/zip");
        var response = await client.PostAsync("/api/v1/evidence/verify", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"verify: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>docs/evidence.md's recipe, the sh block after its marker, exactly as written.</summary>
    public static string Recipe()
    {
        var doc = File.ReadAllText(Path.Combine(RunScript.RepositoryRoot(), "docs", "evidence.md"));
        var marker = doc.IndexOf("<!-- EvidenceRecipeTests runs this block verbatim. -->", StringComparison.Ordinal);
        Assert.True(marker >= 0, "docs/evidence.md lost its recipe marker");
        var start = doc.IndexOf("```sh\n", marker, StringComparison.Ordinal) + "```sh\n".Length;
        return doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
    }

    /// <summary>Runs the recipe with bash in a fresh directory holding the package as evidence.zip; returns stdout.</summary>
    public static async Task<string> RunRecipeAsync(byte[] zip)
    {
        var directory = Directory.CreateTempSubdirectory("evidence-recipe-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(directory.FullName, "evidence.zip"), zip);
            var start = new ProcessStartInfo("bash", ["-c", Recipe()])
            {
                WorkingDirectory = directory.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return await stdout + await stderr;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
