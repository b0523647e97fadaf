using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Connections;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Hosting;

/// <summary>
/// The Data Protection key ring is encrypted at rest with a certificate kept outside the database: a copy of the
/// database alone cannot decrypt a bridge token, and a certificate rotation keeps every stored token readable.
/// </summary>
public sealed class KeyRingTests : IAsyncLifetime, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("keyring-").FullName;
    private string database = "";

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync("keyring");

    public Task DisposeAsync() => TestDatabase.DropAsync(database);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task A_token_stored_under_a_certificate_cannot_be_read_by_a_replica_without_it()
    {
        var certificateA = WritePkcs12("a", "password-a");
        string stored;
        await using (var replica = new Replica(database, CertificateSettings(certificateA, "password-a")))
        {
            stored = replica.Tokens.Protect("bridge-token-kept-secret");
        }

        var ring = await KeyRingRowsAsync();
        Assert.NotEmpty(ring);
        Assert.All(ring, xml =>
        {
            Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal);
        });

        await using (var withoutCertificate = new Replica(database, []))
        {
            Assert.ThrowsAny<CryptographicException>(() => withoutCertificate.Tokens.Unprotect(stored));
        }

        await using (var withCertificate = new Replica(database, CertificateSettings(certificateA, "password-a")))
        {
            Assert.Equal("bridge-token-kept-secret", withCertificate.Tokens.Unprotect(stored));
        }

    }

    [Fact]
    public async Task After_a_rotation_stored_tokens_still_work_and_new_keys_are_written_under_the_new_certificate()
    {
        var certificateA = WritePkcs12("a", "password-a");
        string stored;
        await using (var before = new Replica(database, CertificateSettings(certificateA, "password-a")))
        {
            stored = before.Tokens.Protect("token-before-rotation");
        }

        var (certificateB, keyB) = WritePem("b");
        var rotated = new Dictionary<string, string?>
        {
            ["DataProtection:CertificatePath"] = certificateB,
            ["DataProtection:CertificateKeyPath"] = keyB,
            ["DataProtection:PreviousCertificates:0:Path"] = certificateA,
            ["DataProtection:PreviousCertificates:0:Password"] = "password-a",
        };
        await using (var after = new Replica(database, rotated))
        {
            Assert.Equal("token-before-rotation", after.Tokens.Unprotect(stored));
            var now = DateTimeOffset.UtcNow;
            after.Services.GetRequiredService<IKeyManager>().CreateNewKey(now, now.AddDays(90));
        }

        var ring = await KeyRingRowsAsync();
        Assert.Equal(2, ring.Count);
        Assert.Contains(Base64Of(certificateA), ring[0], StringComparison.Ordinal);
        Assert.Contains(Base64Of(certificateB), ring[1], StringComparison.Ordinal);
        Assert.DoesNotContain(Base64Of(certificateA), ring[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_without_a_certificate_warns_at_start()
    {
        await using var replica = new Replica(database, [], "Production");
        _ = replica.Services;

        Assert.Contains(replica.Logs.Lines, line => line.Contains("key ring is stored in PostgreSQL without encryption", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_required_certificate_that_is_missing_stops_the_service_from_starting()
    {
        await using var replica = new Replica(database, new() { ["DataProtection:RequireCertificate"] = "true" }, "Production");

        var refused = Assert.ThrowsAny<OptionsValidationException>(() => replica.Services);
        Assert.Contains("DataProtection:RequireCertificate is true", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_that_does_not_load_stops_the_service_from_starting_without_showing_its_password()
    {
        var certificate = WritePkcs12("wrong", "the-real-password");
        await using var replica = new Replica(database, CertificateSettings(certificate, "a-wrong-password-7731"));

        var refused = Assert.ThrowsAny<OptionsValidationException>(() => replica.Services);
        Assert.Contains("wrong.pfx cannot be loaded", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a-wrong-password-7731", refused.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> CertificateSettings(string path, string password) => new()
    {
        ["DataProtection:CertificatePath"] = path,
        ["DataProtection:CertificatePassword"] = password,
    };

    private string WritePkcs12(string name, string password)
    {
        using var certificate = SelfSigned(name);
        var path = Path.Combine(folder, $"{name}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private (string Certificate, string Key) WritePem(string name)
    {
        using var certificate = SelfSigned(name);
        var (certificatePath, keyPath) = (Path.Combine(folder, $"{name}.crt"), Path.Combine(folder, $"{name}.key"));
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=connector-key-ring-{name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static string Base64Of(string certificatePath) => Convert.ToBase64String(
        certificatePath.EndsWith(".pfx", StringComparison.Ordinal)
            ? X509CertificateLoader.LoadPkcs12FromFile(certificatePath, "password-a").RawData
            : X509CertificateLoader.LoadCertificateFromFile(certificatePath).RawData);

    private async Task<List<string>> KeyRingRowsAsync()
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT xml FROM data_protection_keys ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    /// <summary>One replica of the service on the shared database, with its own key ring settings.</summary>
    private sealed class Replica : ConnectorApp
    {
        private readonly Dictionary<string, string?> settings;
        private readonly string environment;

        public Replica(string database, Dictionary<string, string?> settings, string environment = "Testing")
        {
            (this.settings, this.environment) = (settings, environment);
            SetConnectionString(database);
        }

        public TokenProtector Tokens => Services.GetRequiredService<TokenProtector>();

        protected override IEnumerable<KeyValuePair<string, string?>> Settings => settings;

        protected override Task DropDatabaseAsync() => Task.CompletedTask;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment(environment);
        }
    }
}
