using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;

namespace OnePasswordConnector.Evidence;

/// <summary>
/// The key that signs evidence packages: an ECDSA P-256 private key as PEM, given inline or as a file path. Without
/// either, the service generates one on first use and keeps it, encrypted, in PostgreSQL for every replica.
/// </summary>
internal sealed class EvidenceOptions : IValidatableObject
{
    public const string Section = "Evidence";

    /// <summary>An ECDSA P-256 private key in PEM (PKCS#8 "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY").</summary>
    public string? SigningKeyPem { get; set; }

    /// <summary>A file holding such a PEM, e.g. a mounted Kubernetes secret.</summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>The largest package POST /api/v1/evidence/verify accepts, in bytes.</summary>
    [Range(1024, 2_147_483_647)]
    public long MaxVerifyBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>The configured PEM, read from the file where a path is given; null when none is configured.</summary>
    public string? ConfiguredPem() =>
        !string.IsNullOrWhiteSpace(SigningKeyPem) ? SigningKeyPem
        : !string.IsNullOrWhiteSpace(SigningKeyPath) ? File.ReadAllText(SigningKeyPath)
        : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(SigningKeyPem) && !string.IsNullOrWhiteSpace(SigningKeyPath))
        {
            yield return new ValidationResult("Set Evidence:SigningKeyPem or Evidence:SigningKeyPath, not both.");
            yield break;
        }

        if (!string.IsNullOrWhiteSpace(SigningKeyPath) && !File.Exists(SigningKeyPath))
        {
            yield return new ValidationResult("Evidence:SigningKeyPath names a file that does not exist.");
            yield break;
        }

        // The message never quotes the key: it is a secret.
        if (ConfiguredPem() is { } pem && EvidenceKeys.TryLoad(pem) is null)
        {
            yield return new ValidationResult("The evidence signing key is not an ECDSA P-256 private key in PEM.");
        }
    }
}

/// <summary>A key that signs: its id (SHA-256 of the public key's DER, hex), its public PEM and the private key.</summary>
internal sealed record SigningKey(string KeyId, string PublicKeyPem, ECDsa Key);
