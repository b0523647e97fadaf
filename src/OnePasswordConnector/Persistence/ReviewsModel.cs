using Microsoft.EntityFrameworkCore;

namespace OnePasswordConnector.Persistence;

/// <summary>The tables of reviews, evidence signing keys and the audit trail (migration Reviews).</summary>
internal static class ReviewsModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Review>(e =>
        {
            e.ToTable("reviews");
            e.HasKey(r => r.Id);
            e.Property(r => r.TenantId).HasMaxLength(100);
            e.Property(r => r.Name).HasMaxLength(200);
            e.Property(r => r.CreatedBy).HasMaxLength(200);
            e.HasIndex(r => new { r.ConnectionId, r.CreatedAt, r.Id }).IsDescending(false, true, true);
            e.HasIndex(r => r.SyncRunId);
            e.HasOne<Connection>().WithMany().HasForeignKey(r => r.ConnectionId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Review>().WithMany().HasForeignKey(r => r.PreviousReviewId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<EvidenceKey>(e =>
        {
            e.ToTable("evidence_keys");
            e.HasKey(k => k.KeyId);
            e.Property(k => k.KeyId).HasMaxLength(64);
            // At most one generated key (ix_evidence_keys_one_generated, an index on a constant that the migration
            // creates in SQL): two replicas generating at once both insert, one wins, both read the winner.
        });

        modelBuilder.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit_log");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).UseIdentityAlwaysColumn();
            e.Property(a => a.TenantId).HasMaxLength(100);
            e.Property(a => a.KeyName).HasMaxLength(200);
            e.Property(a => a.Action).HasMaxLength(100);
            e.Property(a => a.Outcome).HasMaxLength(16);
            e.HasIndex(a => new { a.TenantId, a.OccurredAt, a.Id }).IsDescending(false, true, true);
        });
    }
}
