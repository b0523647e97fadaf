using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;
using static OnePasswordConnector.IntegrationTests.Evidence.EvidencePackages;

namespace OnePasswordConnector.IntegrationTests.Evidence;

public sealed class EvidenceTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static readonly string[] DataFiles = ["users.csv", "groups.csv", "memberships.csv", "changes-since-last-review.csv", "sync-run.json"];

    [Fact]
    public async Task Every_download_of_a_review_holds_byte_identical_data_files_and_a_signed_manifest_naming_them_and_its_audit_entry()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus()], [Owners(AdaId), Engineering(AdaId, GraceId, LinusId)]);
        var (id, _, second) = await TwoReviewsAsync(app, bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);

        var one = await DownloadAsync(client, second);
        var two = await DownloadAsync(client, second);

        Assert.Equal([.. DataFiles, "SHA256SUMS", "manifest.json", "manifest.sig", "evidence-key.pem"], EntryNames(one));
        var (a, b) = (Entries(one), Entries(two));
        foreach (var file in DataFiles.Append("SHA256SUMS").Append("evidence-key.pem"))
        {
            Assert.Equal(a[file], b[file]);
        }

        var manifest = JsonDocument.Parse(a["manifest.json"]).RootElement;
        Assert.Equal("acme", manifest.GetProperty("tenantId").GetString());
        Assert.Equal(bridge.Url + "/scim", manifest.GetProperty("connection").GetProperty("scimBridgeUrl").GetString());
        Assert.Equal("platform", manifest.GetProperty("generatedBy").GetString());
        Assert.Equal("ES256", manifest.GetProperty("signature").GetProperty("algorithm").GetString());
        var files = manifest.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal([.. DataFiles, "SHA256SUMS"], files.Keys);
        Assert.Equal(3, files["users.csv"].GetProperty("rows").GetInt32());
        Assert.Equal(4, files["memberships.csv"].GetProperty("rows").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(a["users.csv"])), files["users.csv"].GetProperty("sha256").GetString());
        var changes = Encoding.UTF8.GetString(a["changes-since-last-review.csv"]);
        Assert.StartsWith("kind,userId,userName,groupId,groupName\r\njoiner,UDDDDDDDDDDDDDDDDDDDDDDDDD,jean@example.org,,\r\n", changes, StringComparison.Ordinal);
        var run = JsonDocument.Parse(a["sync-run.json"]).RootElement;
        Assert.True(run.GetProperty("complete").GetBoolean());
        Assert.Equal(JsonValueKind.Object, run.GetProperty("completeness").ValueKind);
        Assert.Equal("2.9.16", run.GetProperty("provisioning").GetProperty("bridgeVersion").GetString());
        Assert.Empty(SecretScan.Find(a.Values.Select(Encoding.UTF8.GetString), "the evidence package"));
        Assert.DoesNotContain(bridge.Token, string.Concat(a.Values.Select(Encoding.UTF8.GetString)), StringComparison.Ordinal);

        var audit = await GetJsonAsync(client, $"/api/v1/tenants/acme/audit-log?action=DownloadEvidence");
        var entries = audit.GetProperty("items").EnumerateArray().ToArray();
        Assert.Contains(entries, e => e.GetProperty("id").GetInt64() == manifest.GetProperty("auditEntryId").GetInt64()
            && e.GetProperty("target").GetString() == $"{second}/evidence" && e.GetProperty("keyName").GetString() == "platform");
        Assert.NotEqual(manifest.GetProperty("auditEntryId").GetInt64(), JsonDocument.Parse(b["manifest.json"]).RootElement.GetProperty("auditEntryId").GetInt64());
        Assert.NotEqual(Guid.Empty, id);
    }

    [Fact]
    public async Task The_documented_openssl_recipe_and_the_verify_endpoint_pass_an_intact_package_and_name_the_part_one_changed_byte_breaks()
    {
        using var bridge = Bridge([Ada(), Grace(), Linus()], [Owners(AdaId), Engineering(AdaId, GraceId, LinusId)]);
        var (_, _, second) = await TwoReviewsAsync(app, bridge);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var package = await DownloadAsync(client, second);

        var intact = await RunRecipeAsync(package);
        var verified = await VerifyAsync(client, package);

        Assert.Contains("Verified OK", intact, StringComparison.Ordinal);
        Assert.Contains("evidence-key.pem: OK (key ", intact, StringComparison.Ordinal);
        Assert.Contains("SHA256SUMS: OK", intact, StringComparison.Ordinal);
        Assert.All(DataFiles, file => Assert.Contains($"{file}: OK", intact, StringComparison.Ordinal));
        Assert.DoesNotContain("FAIL", intact, StringComparison.Ordinal);
        Assert.True(verified.GetProperty("intact").GetBoolean(), verified.ToString());
        Assert.Equal("valid", verified.GetProperty("signature").GetString());

        foreach (var file in DataFiles.Append("SHA256SUMS").Append("manifest.json"))
        {
            var tampered = Tamper(package, file);
            var recipe = await RunRecipeAsync(tampered);
            var answer = await VerifyAsync(client, tampered);
            var failures = answer.GetProperty("failures").EnumerateArray().Select(f => f.GetString()!).ToArray();
            Assert.False(answer.GetProperty("intact").GetBoolean());
            if (file == "manifest.json")
            {
                Assert.Contains("Verification failure", recipe, StringComparison.Ordinal);
                Assert.Contains("manifest.sig", failures);
                Assert.Equal("invalid", answer.GetProperty("signature").GetString());
            }
            else
            {
                Assert.Contains($"{file}: FAILED", recipe, StringComparison.Ordinal);
                Assert.Contains("Verified OK", recipe, StringComparison.Ordinal);
                Assert.Equal([file], failures);
                Assert.Equal("valid", answer.GetProperty("signature").GetString());
            }
        }
    }

    [Fact]
    public async Task The_jwks_is_anonymous_and_holds_the_key_that_signed_and_a_body_that_is_not_a_package_gets_a_400_problem()
    {
        using var bridge = Bridge([Ada()], []);
        var id = await app.RegisterAsync(bridge);
        await app.SyncAsync(id);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var package = await DownloadAsync(client, await CreateReviewAsync(client, id, "keys"));
        using var anonymous = app.ClientWithKey(null);

        var keys = await anonymous.GetFromJsonAsync<JsonElement>("/api/v1/evidence/keys");
        var unauthenticated = await anonymous.PostAsync("/api/v1/evidence/verify", new ByteArrayContent(package));
        using var junk = new ByteArrayContent(Encoding.UTF8.GetBytes("not a zip"));
        var notAPackage = await client.PostAsync("/api/v1/evidence/verify", junk);

        var kid = JsonDocument.Parse(Entries(package)["manifest.json"]).RootElement.GetProperty("signature").GetProperty("keyId").GetString();
        var key = Assert.Single(keys.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == kid);
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notAPackage.StatusCode);
        Assert.Equal("application/problem+json", notAPackage.Content.Headers.ContentType?.MediaType);
    }
}
