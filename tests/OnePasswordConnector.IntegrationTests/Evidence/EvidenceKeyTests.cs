using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Evidence;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;
using static OnePasswordConnector.IntegrationTests.Evidence.EvidencePackages;

namespace OnePasswordConnector.IntegrationTests.Evidence;

/// <summary>Replicas over one database: the key they sign with, generated or configured, and rotation.</summary>
public sealed class EvidenceKeyTests
{
    [Fact]
    public async Task Two_replicas_that_generate_a_key_at_once_both_sign_with_the_one_stored()
    {
        await using var first = await Replica.StartAsync(null, null);
        await using var second = await Replica.StartAsync(first.ConnectionString, null);

        var keys = await Task.WhenAll(
            first.Services.GetRequiredService<EvidenceKeys>().CurrentAsync(CancellationToken.None),
            second.Services.GetRequiredService<EvidenceKeys>().CurrentAsync(CancellationToken.None));

        Assert.Equal(keys[0].KeyId, keys[1].KeyId);
        Assert.Equal(["1"], await first.QueryAsync("SELECT count(*) FROM evidence_keys", Guid.Empty));
        Assert.DoesNotContain("PRIVATE", string.Join("", await first.QueryAsync("SELECT protected_private_key FROM evidence_keys", Guid.Empty)),
            StringComparison.Ordinal);
        using var bridge = Bridge([Ada()], []);
        var id = await first.RegisterAsync(bridge);
        await first.SyncAsync(id);
        using var client = first.ClientWithKey(ConnectorApp.AdminKey);
        using var other = second.ClientWithKey(ConnectorApp.AdminKey);
        var review = await CreateReviewAsync(client, id, "replicas");
        var fromFirst = JsonDocument.Parse(Entries(await DownloadAsync(client, review))["manifest.json"]).RootElement;
        var fromSecond = JsonDocument.Parse(Entries(await DownloadAsync(other, review))["manifest.json"]).RootElement;
        Assert.Equal(keys[0].KeyId, fromFirst.GetProperty("signature").GetProperty("keyId").GetString());
        Assert.Equal(keys[0].KeyId, fromSecond.GetProperty("signature").GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task After_a_configured_key_is_rotated_packages_signed_with_the_old_key_still_verify_and_the_jwks_keeps_both()
    {
        using var oldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] oldPackage;
        string connectionString;
        await using (var before = await Replica.StartAsync(null, oldKey.ExportPkcs8PrivateKeyPem()))
        {
            connectionString = before.ConnectionString;
            before.DropsDatabase = false;
            using var bridge = Bridge([Ada()], []);
            var id = await before.RegisterAsync(bridge);
            await before.SyncAsync(id);
            using var client = before.ClientWithKey(ConnectorApp.AdminKey);
            oldPackage = await DownloadAsync(client, await CreateReviewAsync(client, id, "before rotation"));
        }

        await using var after = await Replica.StartAsync(connectionString, newKey.ExportECPrivateKeyPem());
        after.DropsDatabase = true;
        using var rotated = after.ClientWithKey(ConnectorApp.AdminKey);
        var verified = await VerifyAsync(rotated, oldPackage);
        var jwks = await after.ClientWithKey(null).GetFromJsonAsync<JsonElement>("/api/v1/evidence/keys");
        var recipe = await RunRecipeAsync(oldPackage);

        Assert.True(verified.GetProperty("intact").GetBoolean(), verified.ToString());
        Assert.Equal(EvidenceKeys.KeyId(oldKey), verified.GetProperty("keyId").GetString());
        Assert.Equal(new[] { EvidenceKeys.KeyId(oldKey), EvidenceKeys.KeyId(newKey) }.Order(),
            jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).Order());
        Assert.Contains($"evidence-key.pem: OK (key {EvidenceKeys.KeyId(oldKey)})", recipe, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_signing_key_that_is_not_a_p256_private_key_stops_the_service_at_start_up()
    {
        using var rsa = RSA.Create(2048);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Replica.StartAsync(null, rsa.ExportPkcs8PrivateKeyPem()));

        Assert.Contains("not an ECDSA P-256 private key", failure.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", failure.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The service over a given database (or a new one), with a configured signing key or none.</summary>
    private sealed class Replica(string? connectionString, string? signingKeyPem) : SyncApp, IAsyncDisposable
    {
        /// <summary>Whether disposing drops the database: by default, only the replica that created it does.</summary>
        public bool DropsDatabase { get; set; } = connectionString is null;

        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
            signingKeyPem is null ? base.Settings : [.. base.Settings, new("Evidence:SigningKeyPem", signingKeyPem)];

        public static async Task<Replica> StartAsync(string? connectionString, string? signingKeyPem)
        {
            var replica = new Replica(connectionString, signingKeyPem);
            try
            {
                await replica.InitializeAsync();
                _ = replica.Server;
                return replica;
            }
            catch
            {
                await ((IAsyncLifetime)replica).DisposeAsync();
                throw;
            }
        }

        public override async Task InitializeAsync()
        {
            if (connectionString is null)
            {
                await base.InitializeAsync();
            }
            else
            {
                SetConnectionString(connectionString);
            }
        }

        protected override Task DropDatabaseAsync() => DropsDatabase ? base.DropDatabaseAsync() : Task.CompletedTask;

        async ValueTask IAsyncDisposable.DisposeAsync() => await ((IAsyncLifetime)this).DisposeAsync();
    }
}
