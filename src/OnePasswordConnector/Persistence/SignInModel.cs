using Microsoft.EntityFrameworkCore;

namespace OnePasswordConnector.Persistence;

/// <summary>
/// A connection's 1Password Events API: where it is, its token (encrypted, like the bridge token) and how far its
/// sign-in attempts have been read. At most one per connection.
/// </summary>
internal sealed class EventsSource
{
    public Guid ConnectionId { get; set; }

    /// <summary>The Events API's base URL, for example <c>https://events.1password.eu</c>.</summary>
    public required string EventsUrl { get; set; }

    /// <summary>The Events API token, encrypted with ASP.NET Core Data Protection; null once DELETE removed it.</summary>
    public string? ProtectedToken { get; set; }

    public string? TokenHint { get; set; }

    /// <summary>The 1Password account the token belongs to, where introspection says.</summary>
    public string? AccountUuid { get; set; }

    public string[] Features { get; set; } = [];

    /// <summary>The cursor the Events API gave with the last page stored: the next collection resumes there.</summary>
    public string? Cursor { get; set; }

    /// <summary>From when sign-in attempts are known: the start of the first collection's window (120 days back).</summary>
    public DateTimeOffset? KnownSince { get; set; }

    /// <summary>The stamp of the run whose collection first stored a page: an asOf before it knows no sign-ins.</summary>
    public DateTimeOffset? FirstCollectedAt { get; set; }

    public DateTimeOffset? LastCollectedAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One sign-in attempt the Events API reported, matched to a synced user where it could be.</summary>
internal sealed class SignInAttempt
{
    public Guid ConnectionId { get; set; }

    /// <summary>The attempt's uuid: collecting a page twice stores it once.</summary>
    public required string Uuid { get; set; }

    public string? SessionUuid { get; set; }
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>success, credentials_failed, mfa_failed, sso_failed, modern_version_failed, firewall_failed, firewall_reported_success.</summary>
    public required string Category { get; set; }

    public string? Type { get; set; }
    public string? Country { get; set; }
    public string? TargetUserUuid { get; set; }
    public string? TargetUserEmail { get; set; }
    public string? TargetUserName { get; set; }

    /// <summary>The SCIM id of the user it matched (by uuid, else by email); null when it matched none.</summary>
    public string? UserScimId { get; set; }

    /// <summary>The client (app, platform, OS, IP) as the Events API sent it, as JSON.</summary>
    public string? Client { get; set; }

    /// <summary>The start of the run that collected it.</summary>
    public DateTimeOffset CollectedAt { get; set; }
}

internal static class SignInModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<EventsSource>(e =>
        {
            e.ToTable("events_sources");
            e.HasKey(s => s.ConnectionId);
            e.Property(s => s.EventsUrl).HasMaxLength(2048);
            e.Property(s => s.TokenHint).HasMaxLength(8);
            e.Property(s => s.AccountUuid).HasMaxLength(64);
            e.HasOne<Connection>().WithOne().HasForeignKey<EventsSource>(s => s.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SignInAttempt>(e =>
        {
            e.ToTable("sign_in_attempts");
            e.HasKey(a => new { a.ConnectionId, a.Uuid });
            e.Property(a => a.Category).HasMaxLength(64);
            e.Property(a => a.Client).HasColumnType("jsonb");
            // Access review: a user's last success, last failure and counts of the last 30 days.
            e.HasIndex(a => new { a.ConnectionId, a.UserScimId, a.OccurredAt });
            e.HasIndex(a => new { a.ConnectionId, a.UserScimId, a.Category, a.OccurredAt });
            // Retention: attempts older than Events:RetentionDays go.
            e.HasIndex(a => new { a.ConnectionId, a.OccurredAt });
            e.HasOne<Connection>().WithMany().HasForeignKey(a => a.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
