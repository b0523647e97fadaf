namespace OnePasswordConnector.Persistence;

/// <summary>
/// A key that has signed evidence packages. Every key's public half is kept, so a package signed before a rotation still
/// verifies; only a key the service generated itself keeps its private half here, encrypted with Data Protection.
/// </summary>
internal sealed class EvidenceKey
{
    /// <summary>The SHA-256 (hex) of the public key's DER SubjectPublicKeyInfo: openssl can compute it from the PEM.</summary>
    public required string KeyId { get; set; }

    public required string PublicKeyPem { get; set; }

    /// <summary>Data Protection ciphertext of the PKCS#8 private key; null for a configured key.</summary>
    public string? ProtectedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
