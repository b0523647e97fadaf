using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Docs;

/// <summary>
/// docs/openapi.json is the service's own /swagger/v1/swagger.json. With ONEPASSWORDCONNECTOR_EXPORT_OPENAPI=1
/// (scripts/export-openapi.sh) the test writes the file instead of comparing.
/// </summary>
public sealed class OpenApiDocumentTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    public const string ExportVariable = "ONEPASSWORDCONNECTOR_EXPORT_OPENAPI";

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Keep the file readable: "<", ">", "'" and non-ASCII text as they are, not \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [Fact]
    public async Task Docs_openapi_json_matches_the_running_service()
    {
        var current = await FetchNormalisedAsync();
        var path = Path.Combine(RunScript.RepositoryRoot(), "docs", "openapi.json");

        if (Environment.GetEnvironmentVariable(ExportVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, current);
            return;
        }

        Assert.True(File.Exists(path), $"{path} is missing: run scripts/export-openapi.sh and commit the file.");
        var committed = Normalise(await File.ReadAllTextAsync(path));
        Assert.True(committed == current,
            "docs/openapi.json is stale: it differs from the running service's /swagger/v1/swagger.json. " +
            "Run scripts/export-openapi.sh and commit docs/openapi.json.");
    }

    [Fact]
    public async Task The_document_has_no_server_url_host_or_secret()
    {
        var text = await FetchNormalisedAsync();
        var document = JsonNode.Parse(text)!.AsObject();

        Assert.False(document.ContainsKey("servers"), "The document must not name a server: it depends on where it runs.");
        Assert.DoesNotContain("localhost", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        Assert.DoesNotContain(ConnectorApp.AdminKey, text, StringComparison.Ordinal);
        // The build's commit changes with every commit; the document must not, or it would always be stale.
        Assert.DoesNotContain(OnePasswordConnector.Hosting.ServiceInfo.Version, text, StringComparison.Ordinal);
        // Swagger UI pre-fills request bodies from examples and defaults: none may be given for a secret.
        Assert.Empty(SecretsWithExamples(document, "#"));
    }

    /// <summary>JSON pointers of schema properties named like a secret that carry an example or a default.</summary>
    private static IEnumerable<string> SecretsWithExamples(JsonNode? node, string pointer)
    {
        if (node is JsonArray array)
        {
            return array.SelectMany((item, i) => SecretsWithExamples(item, $"{pointer}/{i}"));
        }

        if (node is not JsonObject obj)
        {
            return [];
        }

        var found = new List<string>();
        if (obj["properties"] is JsonObject properties)
        {
            found.AddRange(properties
                .Where(p => IsSecretName(p.Key) && p.Value is JsonObject schema && (schema.ContainsKey("example") || schema.ContainsKey("examples") || schema.ContainsKey("default")))
                .Select(p => $"{pointer}/properties/{p.Key}"));
        }

        found.AddRange(obj.SelectMany(p => SecretsWithExamples(p.Value, $"{pointer}/{p.Key}")));
        return found;
    }

    private static bool IsSecretName(string name) =>
        !name.EndsWith("Hint", StringComparison.OrdinalIgnoreCase) &&
        new[] { "token", "key", "secret", "password" }.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase));

    private async Task<string> FetchNormalisedAsync()
    {
        using var client = app.ClientWithKey(null);
        var json = await client.GetStringAsync("/swagger/v1/swagger.json");
        return Normalise(json);
    }

    private static string Normalise(string json) =>
        JsonNode.Parse(json)!.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";

    /// <summary>The folder holding OnePasswordConnector.sln, found by walking up from the test assembly.</summary>
}
