using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace OnePasswordConnector.Evidence;

/// <summary>
/// The signing key and every public key that ever signed. A configured key wins; its public half is recorded the first
/// time it signs, so after a rotation the old key still verifies the packages it signed. Without one, the first replica
/// to need a key generates it and stores it encrypted with Data Protection (whose key ring is in PostgreSQL too); a
/// unique index lets only one generated key in, so replicas racing to generate all end up with the winner's.
/// </summary>
internal sealed class EvidenceKeys(NpgsqlDataSource data, IDataProtectionProvider protection, IOptions<EvidenceOptions> options, TimeProvider time)
    : IDisposable
{
    private const string Insert = """
        INSERT INTO evidence_keys (key_id, public_key_pem, protected_private_key, created_at) VALUES (@kid, @pem, @private, @at)
        ON CONFLICT DO NOTHING
        """;

    private const string Generated = "SELECT key_id, public_key_pem, protected_private_key FROM evidence_keys WHERE protected_private_key IS NOT NULL";

    private const string All = "SELECT key_id, public_key_pem FROM evidence_keys ORDER BY created_at, key_id";

    private readonly IDataProtector protector = protection.CreateProtector("OnePasswordConnector.Evidence.SigningKey.v1");
    private readonly SemaphoreSlim gate = new(1, 1);
    private SigningKey? current;

    public async Task<SigningKey> CurrentAsync(CancellationToken cancellationToken)
    {
        if (current is { } known)
        {
            return known;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            current ??= options.Value.ConfiguredPem() is { } pem ? await RecordConfiguredAsync(pem, cancellationToken) : await GeneratedAsync(cancellationToken);
            return current;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Every public key that has signed, oldest first, by key id.</summary>
    public async Task<Dictionary<string, string>> PublicKeysAsync(CancellationToken cancellationToken)
    {
        await CurrentAsync(cancellationToken);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = data.CreateCommand(All);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys[reader.GetString(0)] = reader.GetString(1);
        }

        return keys;
    }

    public void Dispose()
    {
        gate.Dispose();
        current?.Key.Dispose();
    }

    public static ECDsa? TryLoad(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.ExportParameters(false).Curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value && key.KeySize == 256)
            {
                _ = key.ExportECPrivateKey();
                return key;
            }
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
        }

        key.Dispose();
        return null;
    }

    /// <summary>The key id: the hex SHA-256 of the DER SubjectPublicKeyInfo, which <c>openssl pkey -pubin -outform DER | sha256sum</c> prints too.</summary>
    public static string KeyId(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    private async Task<SigningKey> RecordConfiguredAsync(string pem, CancellationToken cancellationToken)
    {
        var key = TryLoad(pem) ?? throw new InvalidOperationException("The evidence signing key is not an ECDSA P-256 private key in PEM.");
        var signing = new SigningKey(KeyId(key), key.ExportSubjectPublicKeyInfoPem(), key);
        await InsertAsync(signing, null, cancellationToken);
        return signing;
    }

    private async Task<SigningKey> GeneratedAsync(CancellationToken cancellationToken)
    {
        if (await ReadGeneratedAsync(cancellationToken) is { } stored)
        {
            return stored;
        }

        using (var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var signing = new SigningKey(KeyId(fresh), fresh.ExportSubjectPublicKeyInfoPem(), fresh);
            await InsertAsync(signing, protector.Protect(Convert.ToBase64String(fresh.ExportPkcs8PrivateKey())), cancellationToken);
        }

        return await ReadGeneratedAsync(cancellationToken) ?? throw new InvalidOperationException("The generated evidence signing key was not stored.");
    }

    private async Task<SigningKey?> ReadGeneratedAsync(CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand(Generated);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(protector.Unprotect(reader.GetString(2))), out _);
        return new SigningKey(reader.GetString(0), reader.GetString(1), key);
    }

    private async Task InsertAsync(SigningKey key, string? protectedPrivateKey, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand(Insert);
        command.Parameters.Add(new NpgsqlParameter("kid", NpgsqlDbType.Text) { Value = key.KeyId });
        command.Parameters.Add(new NpgsqlParameter("pem", NpgsqlDbType.Text) { Value = key.PublicKeyPem });
        command.Parameters.Add(new NpgsqlParameter("private", NpgsqlDbType.Text) { Value = (object?)protectedPrivateKey ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
