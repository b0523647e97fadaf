using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace OnePasswordConnector.Evidence;

/// <summary>Whether a package is intact, and if not, which part fails.</summary>
/// <param name="Intact">True when the signature is valid for a key this service published and every file matches the manifest.</param>
/// <param name="KeyId">The key id the manifest names.</param>
/// <param name="Signature">valid, invalid (the manifest or its signature was changed), unknown_key (no key this service
/// published has that id), or missing.</param>
/// <param name="Files">Every file the manifest lists, plus any it does not: ok, modified, missing or unexpected.</param>
/// <param name="Failures">The names of the parts that fail, manifest.sig for a bad signature; empty when intact.</param>
public sealed record VerificationResponse(bool Intact, string? KeyId, string Signature, IReadOnlyList<FileVerification> Files, IReadOnlyList<string> Failures);

/// <summary>One file's check.</summary>
/// <param name="Status">ok, modified, missing or unexpected.</param>
public sealed record FileVerification(string Name, string Status);

internal static class EvidenceVerifier
{
    /// <summary>Checks a package against the public keys (by id); null when the bytes are not a zip with a readable manifest.</summary>
    public static VerificationResponse? Verify(Stream package, IReadOnlyDictionary<string, string> publicKeys, long maxUnpackedBytes)
    {
        Dictionary<string, byte[]> entries;
        try
        {
            using var archive = new ZipArchive(package, ZipArchiveMode.Read, leaveOpen: true);
            // A small zip can claim gigabytes: refuse one whose entries would unpack beyond the limit.
            if (archive.Entries.Sum(e => e.Length) > maxUnpackedBytes)
            {
                return null;
            }

            entries = archive.Entries.Where(e => !e.FullName.EndsWith('/')).ToDictionary(e => e.FullName, Read, StringComparer.Ordinal);
        }
        catch (InvalidDataException)
        {
            return null;
        }

        if (!entries.TryGetValue(EvidencePackage.Manifest, out var manifestBytes))
        {
            return new VerificationResponse(false, null, "missing", [new FileVerification(EvidencePackage.Manifest, "missing")], [EvidencePackage.Manifest]);
        }

        ManifestDocument? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ManifestDocument>(manifestBytes, EvidenceFiles.Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            manifest = null;
        }

        var keyId = manifest?.Signature?.KeyId;
        // A manifest too damaged to name its key is tried against every published key: it still fails as the signature.
        var signature = !entries.TryGetValue(EvidencePackage.Signature, out var sig) ? "missing"
            : keyId is null ? (publicKeys.Values.Any(pem => Valid(pem, manifestBytes, sig)) ? "valid" : "invalid")
            : !publicKeys.TryGetValue(keyId, out var named) ? "unknown_key"
            : Valid(named, manifestBytes, sig) ? "valid" : "invalid";

        var files = new List<FileVerification>();
        foreach (var file in manifest?.Files ?? [])
        {
            files.Add(new FileVerification(file.Name, !entries.TryGetValue(file.Name, out var content) ? "missing"
                : EvidencePackage.Sha256(content) == file.Sha256 ? "ok" : "modified"));
        }

        string[] signatureParts = [EvidencePackage.Manifest, EvidencePackage.Signature, EvidencePackage.PublicKey];
        files.AddRange(entries.Keys.Where(name => !signatureParts.Contains(name) && files.All(f => f.Name != name)).Order(StringComparer.Ordinal)
            .Select(name => new FileVerification(name, "unexpected")));

        var failures = new List<string>();
        if (signature != "valid")
        {
            failures.Add(EvidencePackage.Signature);
        }

        failures.AddRange(files.Where(f => f.Status != "ok").Select(f => f.Name));
        return new VerificationResponse(failures.Count == 0, keyId, signature, files, failures);
    }

    private static bool Valid(string publicKeyPem, byte[] manifest, byte[] signature)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        try
        {
            return key.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            // A signature that is not even DER is as invalid as a wrong one.
            return false;
        }
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
