using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OnePasswordConnector.Persistence;

/// <summary>
/// The service's one database. EF Core owns the schema and the registry; the sync hot path writes with plain SQL
/// (see <c>Sync/StagingSql.cs</c>). Every synced row hangs off a connection, which belongs to one tenant, and goes
/// when the connection goes (ON DELETE CASCADE).
/// </summary>
internal sealed class ConnectorDbContext(DbContextOptions<ConnectorDbContext> options)
    : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Connection> Connections => Set<Connection>();
    public DbSet<SyncRun> SyncRuns => Set<SyncRun>();
    public DbSet<DirectoryUser> Users => Set<DirectoryUser>();
    public DbSet<UserVersion> UserHistory => Set<UserVersion>();
    public DbSet<DirectoryGroup> Groups => Set<DirectoryGroup>();
    public DbSet<GroupVersion> GroupHistory => Set<GroupVersion>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<MembershipPeriod> MembershipHistory => Set<MembershipPeriod>();
    public DbSet<ChangeEvent> ChangeEvents => Set<ChangeEvent>();
    public DbSet<ProvisioningReport> ProvisioningReports => Set<ProvisioningReport>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<WebhookSubscription> WebhookSubscriptions => Set<WebhookSubscription>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<EventsSource> EventsSources => Set<EventsSource>();
    public DbSet<SignInAttempt> SignInAttempts => Set<SignInAttempt>();
    public DbSet<Review> Reviews => Set<Review>();
    public DbSet<EvidenceKey> EvidenceKeys => Set<EvidenceKey>();
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Connection>(e =>
        {
            e.ToTable("connections");
            e.HasKey(c => c.Id);
            e.Property(c => c.TenantId).HasMaxLength(100);
            e.Property(c => c.Name).HasMaxLength(200);
            e.Property(c => c.ScimBaseUrl).HasMaxLength(2048);
            e.Property(c => c.TokenHint).HasMaxLength(8);
            e.Property(c => c.Status).HasLowercaseConversion();
            e.Property(c => c.LastSyncStatus).HasLowercaseConversion();
            e.HasIndex(c => new { c.TenantId, c.CreatedAt });
            // The scheduler's claim query: enabled, due, not leased.
            e.HasIndex(c => c.NextSyncAt).HasFilter("enabled");
            // A deleted connection is gone from the API at once, while its rows wait to be purged.
            e.HasQueryFilter(c => c.DeletedAt == null);
        });

        modelBuilder.Entity<SyncRun>(e =>
        {
            e.ToTable("sync_runs");
            e.HasKey(r => r.Id);
            e.Property(r => r.Trigger).HasLowercaseConversion();
            e.Property(r => r.Status).HasLowercaseConversion();
            e.Property(r => r.Warnings).HasColumnType("jsonb");
            e.Property(r => r.Completeness).HasColumnType("jsonb");
            e.ComplexProperty(r => r.Counts, counts =>
            {
                foreach (var counter in counts.Metadata.ComplexType.GetDeclaredProperties())
                {
                    counter.SetColumnName(SyncCounts.Column(counter.Name));
                }
            });
            e.HasOne<Connection>().WithMany().HasForeignKey(r => r.ConnectionId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(r => new { r.ConnectionId, r.StartedAt }).IsDescending(false, true);
            // At most one running sync per connection, whatever replica started it.
            e.HasIndex(r => r.ConnectionId).IsUnique().HasFilter("status = 'running'")
                .HasDatabaseName("ix_sync_runs_one_running_per_connection");
            // Access review asOf: the last succeeded run at or before a moment.
            e.HasIndex(r => new { r.ConnectionId, r.FinishedAt }).HasFilter("status = 'succeeded'")
                .HasDatabaseName("ix_sync_runs_succeeded_finished_at");
        });

        modelBuilder.Entity<DirectoryUser>(e =>
        {
            e.ToTable("directory_users");
            e.HasKey(u => new { u.ConnectionId, u.ScimId });
            e.Property(u => u.Raw).HasColumnType("jsonb");
            // Access review: users and the review sheet are keyset-paged in (user_name, scim_id) order.
            e.HasIndex(u => new { u.ConnectionId, u.UserName, u.ScimId });
            // No foreign key on the three tables a sync writes in bulk: checking it cost PostgreSQL one lookup and row
            // lock of the connection per row, as much again as the COPY itself. A run commits only while its own
            // sync_runs row (which does cascade) is there, and the purge deletes these rows itself (LeaseSql.PurgeDeleted).
        });
        modelBuilder.Entity<UserVersion>(e =>
        {
            e.ToTable("user_history");
            e.HasKey(u => new { u.ConnectionId, u.ScimId, u.ValidFrom });
            // Access review asOf: the versions whose period contains a moment.
            e.HasIndex(u => new { u.ConnectionId, u.ValidFrom, u.ValidTo });
            e.HasOne<Connection>().WithMany().HasForeignKey(u => u.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DirectoryGroup>(e =>
        {
            e.ToTable("directory_groups");
            e.HasKey(g => new { g.ConnectionId, g.ScimId });
            e.Property(g => g.Raw).HasColumnType("jsonb");
        });
        modelBuilder.Entity<GroupVersion>(e =>
        {
            e.ToTable("group_history");
            e.HasKey(g => new { g.ConnectionId, g.ScimId, g.ValidFrom });
            e.HasIndex(g => new { g.ConnectionId, g.ValidFrom, g.ValidTo });
            e.HasOne<Connection>().WithMany().HasForeignKey(g => g.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Membership>(e =>
        {
            e.ToTable("memberships");
            e.HasKey(m => new { m.ConnectionId, m.GroupId, m.MemberId });
            e.HasIndex(m => new { m.ConnectionId, m.MemberId });
        });
        modelBuilder.Entity<MembershipPeriod>(e =>
        {
            e.ToTable("membership_history");
            e.HasKey(m => new { m.ConnectionId, m.GroupId, m.MemberId, m.ValidFrom });
            e.HasIndex(m => new { m.ConnectionId, m.ValidFrom, m.ValidTo });
            e.HasOne<Connection>().WithMany().HasForeignKey(m => m.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ChangeEvent>(e =>
        {
            e.ToTable("change_events");
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).UseIdentityAlwaysColumn();
            e.Property(c => c.Before).HasColumnType("jsonb");
            e.Property(c => c.After).HasColumnType("jsonb");
            e.HasIndex(c => new { c.ConnectionId, c.OccurredAt, c.Id }).IsDescending(false, true, true);
            e.HasIndex(c => c.SyncRunId);
            // Access review: one person's history, newest first.
            e.HasIndex(c => new { c.ConnectionId, c.SubjectId, c.OccurredAt, c.Id }).IsDescending(false, false, true, true);
            e.HasOne<Connection>().WithMany().HasForeignKey(c => c.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ProvisioningReport>(e =>
        {
            e.ToTable("provisioning_reports");
            e.HasKey(p => p.Id);
            e.Property(p => p.HealthReports).HasColumnType("jsonb");
            e.Property(p => p.ServiceProviderConfig).HasColumnType("jsonb");
            e.HasIndex(p => new { p.ConnectionId, p.RecordedAt }).IsDescending(false, true);
            e.HasOne<Connection>().WithMany().HasForeignKey(p => p.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
        WebhookModel.Configure(modelBuilder);
        SignInModel.Configure(modelBuilder);
        ReviewsModel.Configure(modelBuilder);
    }
}

internal static class PropertyBuilderExtensions
{
    /// <summary>Stores an enum as its lower-case name, the same word the API and the hand-written SQL use.</summary>
    public static PropertyBuilder<TEnum> HasLowercaseConversion<TEnum>(this PropertyBuilder<TEnum> property)
        where TEnum : struct, Enum =>
        property.HasConversion(v => v.ToString().ToLowerInvariant(), v => Enum.Parse<TEnum>(v, true)).HasMaxLength(32);

    public static PropertyBuilder<TEnum?> HasLowercaseConversion<TEnum>(this PropertyBuilder<TEnum?> property)
        where TEnum : struct, Enum =>
        property.HasConversion(
            v => v.HasValue ? v.Value.ToString().ToLowerInvariant() : null,
            v => v == null ? null : Enum.Parse<TEnum>(v, true)).HasMaxLength(32);
}
