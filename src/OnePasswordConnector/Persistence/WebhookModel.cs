using Microsoft.EntityFrameworkCore;

namespace OnePasswordConnector.Persistence;

/// <summary>A tenant's webhook endpoint: where its events go, which ones, and the secret that signs them.</summary>
internal sealed class WebhookSubscription
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Url { get; set; }
    public string? Description { get; set; }
    public string[] Events { get; set; } = [];
    public bool Enabled { get; set; } = true;

    /// <summary>Why the service disabled the subscription; null while enabled or when a caller disabled it.</summary>
    public string? DisabledReason { get; set; }

    /// <summary>The <c>whsec_</c> signing secret, encrypted with ASP.NET Core Data Protection. Shown once, when made.</summary>
    public required string ProtectedSecret { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// One event of the outbox, written in the transaction of the change that caused it. Only events some subscription
/// wanted when they happened are kept; each such subscription gets a <see cref="WebhookDelivery"/>.
/// </summary>
internal sealed class WebhookEvent
{
    public long Id { get; set; }
    public required string TenantId { get; set; }
    public Guid ConnectionId { get; set; }
    public required string Type { get; set; }
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>The body as sent, byte for byte: the signature covers exactly this text.</summary>
    public required string Payload { get; set; }

    /// <summary>Set for events a periodic check raises, so two replicas checking at once raise one.</summary>
    public string? DedupeKey { get; set; }
}

/// <summary>An event on its way to one subscription: pending until a 2xx, or failed after the retry window.</summary>
internal sealed class WebhookDelivery
{
    public Guid Id { get; set; }
    public Guid SubscriptionId { get; set; }
    public long EventId { get; set; }
    public Guid ConnectionId { get; set; }
    public required string Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>One HTTP attempt of a delivery, kept for the subscriber's admin.</summary>
internal sealed class WebhookAttempt
{
    public long Id { get; set; }
    public Guid DeliveryId { get; set; }
    public DateTimeOffset AttemptedAt { get; set; }
    public int? StatusCode { get; set; }
    public string? Error { get; set; }
    public int DurationMs { get; set; }
    public required string Replica { get; set; }
}

internal static class WebhookModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<WebhookSubscription>(e =>
        {
            e.ToTable("webhook_subscriptions");
            e.HasKey(s => s.Id);
            e.Property(s => s.TenantId).HasMaxLength(100);
            e.Property(s => s.Url).HasMaxLength(2048);
            e.Property(s => s.Description).HasMaxLength(500);
            e.HasIndex(s => new { s.TenantId, s.CreatedAt });
        });

        modelBuilder.Entity<WebhookEvent>(e =>
        {
            e.ToTable("webhook_events");
            e.HasKey(w => w.Id);
            e.Property(w => w.Id).UseIdentityAlwaysColumn();
            e.Property(w => w.TenantId).HasMaxLength(100);
            e.Property(w => w.Type).HasMaxLength(64);
            e.HasIndex(w => w.DedupeKey).IsUnique();
            e.HasOne<Connection>().WithMany().HasForeignKey(w => w.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.HasKey(d => d.Id);
            e.Property(d => d.Status).HasMaxLength(16);
            e.HasOne<WebhookSubscription>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<WebhookEvent>().WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Cascade);
            // The worker's claim: pending deliveries that are due, and the earlier pending ones of the same
            // subscription and connection that hold them back.
            e.HasIndex(d => new { d.NextAttemptAt }).HasFilter("status = 'pending'").HasDatabaseName("ix_webhook_deliveries_due");
            e.HasIndex(d => new { d.SubscriptionId, d.ConnectionId, d.EventId }).HasFilter("status = 'pending'")
                .HasDatabaseName("ix_webhook_deliveries_pending_order");
            e.HasIndex(d => new { d.SubscriptionId, d.CreatedAt }).IsDescending(false, true);
        });

        modelBuilder.Entity<WebhookAttempt>(e =>
        {
            e.ToTable("webhook_attempts");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).UseIdentityAlwaysColumn();
            e.HasIndex(a => new { a.DeliveryId, a.AttemptedAt });
            e.HasOne<WebhookDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
