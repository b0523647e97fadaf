using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Reviews;

namespace OnePasswordConnector.Evidence;

/// <summary>Who asked for a package, and the audit entry that records the download.</summary>
internal sealed record EvidenceRequest(Connection Connection, Review Review, string GeneratedBy, long AuditEntryId, DateTimeOffset GeneratedAt);

/// <summary>
/// Builds a review's evidence package: the data files, SHA256SUMS over them, the manifest that names every file with
/// its row count and SHA-256, a detached ES256 signature over the manifest's bytes (DER, as openssl writes and checks
/// it) and the public key that made it. Entries are stored in a fixed order with a fixed timestamp.
/// </summary>
internal sealed class EvidencePackage(ReviewStore reviews, ConnectorDbContext db, EvidenceKeys keys)
{
    public const string Manifest = "manifest.json";
    public const string Signature = "manifest.sig";
    public const string PublicKey = "evidence-key.pem";
    public const string Checksums = "SHA256SUMS";

    /// <summary>The zip format's earliest date: entry times say nothing about when a package was made.</summary>
    private static readonly DateTimeOffset EntryTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<byte[]> BuildAsync(EvidenceRequest request, CancellationToken cancellationToken)
    {
        var (connection, review) = (request.Connection, request.Review);
        var sheet = await reviews.SheetAsync(connection, review, cancellationToken);
        var previous = review.PreviousReviewId is { } id ? await reviews.FindAsync(connection.Id, id, cancellationToken) : null;
        var changes = await ReviewsApi.DiffAsync(reviews, connection, review, previous, cancellationToken);
        List<EvidenceFile> files =
        [
            await EvidenceFiles.UsersAsync(sheet),
            await EvidenceFiles.GroupsAsync(await reviews.GroupsAsync(review, cancellationToken), sheet),
            await EvidenceFiles.MembershipsAsync(sheet),
            await EvidenceFiles.ChangesAsync(changes),
            EvidenceFiles.JsonFile("sync-run.json", await SyncRunAsync(review, cancellationToken)),
        ];
        var sums = string.Concat(files.Select(f => $"{Sha256(f.Content)}  {f.Name}\n"));
        files.Add(new EvidenceFile(Checksums, Encoding.ASCII.GetBytes(sums), files.Count));

        var key = await keys.CurrentAsync(cancellationToken);
        var manifest = EvidenceFiles.JsonFile(Manifest, new ManifestDocument(
            "onepassword-connector-evidence/1",
            new ManifestReview(review.Id, review.Name, review.AsOf, review.CreatedAt, review.CreatedBy, review.PreviousReviewId),
            review.TenantId,
            new ManifestConnection(connection.Id, connection.Name, connection.ScimBaseUrl),
            review.SyncRunId, review.AsOf, review.RunFinishedAt, request.GeneratedAt, request.GeneratedBy, ServiceInfo.Version, request.AuditEntryId,
            new ManifestSignature("ES256", key.KeyId, Signature, PublicKey),
            files.ConvertAll(f => new ManifestFile(f.Name, f.Rows, Sha256(f.Content)))));
        var signature = key.Key.SignData(manifest.Content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in files.Append(manifest).Append(new EvidenceFile(Signature, signature, 0))
                         .Append(new EvidenceFile(PublicKey, Encoding.ASCII.GetBytes(key.PublicKeyPem + "\n"), 0)))
            {
                var entry = archive.CreateEntry(file.Name, CompressionLevel.Fastest);
                entry.LastWriteTime = EntryTime;
                await using var stream = await entry.OpenAsync(cancellationToken);
                await stream.WriteAsync(file.Content, cancellationToken);
            }
        }

        return zip.ToArray();
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private async Task<object> SyncRunAsync(Review review, CancellationToken cancellationToken)
    {
        var run = await db.SyncRuns.AsNoTracking().FirstAsync(r => r.Id == review.SyncRunId, cancellationToken);
        var report = await db.ProvisioningReports.AsNoTracking().Where(p => p.SyncRunId == run.Id)
            .OrderByDescending(p => p.RecordedAt).FirstOrDefaultAsync(cancellationToken);
        var c = run.Counts;
        return new
        {
            run.Id,
            run.ConnectionId,
            Trigger = run.Trigger.ToString().ToLowerInvariant(),
            Status = run.Status.ToString().ToLowerInvariant(),
            run.StartedAt,
            run.FinishedAt,
            run.Complete,
            Completeness = Parse(run.Completeness) ?? JsonDocument.Parse("{}").RootElement,
            run.PagesRead,
            run.ResourcesRead,
            Users = new { Seen = c.UsersSeen, Added = c.UsersAdded, Changed = c.UsersChanged, Removed = c.UsersRemoved },
            Groups = new { Seen = c.GroupsSeen, Added = c.GroupsAdded, Changed = c.GroupsChanged, Removed = c.GroupsRemoved },
            Memberships = new { Seen = c.MembershipsSeen, Added = c.MembershipsAdded, Removed = c.MembershipsRemoved },
            c.ChangeEvents,
            run.WarningCount,
            Provisioning = report is null ? null : new
            {
                report.RecordedAt,
                report.Verdict,
                report.Reachable,
                report.TokenAccepted,
                report.BridgeVersion,
                report.BridgeBuild,
                Health = Parse(report.HealthReports),
                ServiceProviderConfig = Parse(report.ServiceProviderConfig),
                report.PrivilegedGroups,
            },
        };
    }

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}

internal sealed record ManifestDocument(
    string Format, ManifestReview Review, string TenantId, ManifestConnection Connection, Guid SyncRunId, DateTimeOffset AsOf,
    DateTimeOffset SnapshotAt, DateTimeOffset GeneratedAt, string GeneratedBy, string ServiceVersion, long AuditEntryId,
    ManifestSignature Signature, List<ManifestFile> Files);

internal sealed record ManifestReview(Guid Id, string Name, DateTimeOffset AsOf, DateTimeOffset CreatedAt, string CreatedBy, Guid? PreviousReviewId);

/// <summary>The connection as the manifest names it: never its token.</summary>
internal sealed record ManifestConnection(Guid Id, string Name, string ScimBridgeUrl);

internal sealed record ManifestSignature(string Algorithm, string KeyId, string File, string PublicKeyFile);

internal sealed record ManifestFile(string Name, int Rows, string Sha256);
