using Npgsql;

namespace OnePasswordConnector.SignIns;

/// <summary>
/// Which synced user a sign-in attempt is about: nothing proves that a bridge's SCIM id is the 1Password user uuid the
/// Events API names, so the uuid is tried first and the email (case-insensitive) second; what matches neither is
/// counted on the run, so that a wrong assumption shows as a number instead of silently missing sign-ins.
/// </summary>
internal sealed class UserMatch
{
    private readonly HashSet<string> ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> emails = new(StringComparer.OrdinalIgnoreCase);

    public static async Task<UserMatch> LoadAsync(NpgsqlDataSource db, Guid connectionId, CancellationToken cancellationToken)
    {
        var match = new UserMatch();
        await using var command = db.CreateCommand(SignInSql.Users);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            match.Add(id, reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return match;
    }

    public int Count => ids.Count;

    public void Add(string id, string? primaryEmail, string? userName)
    {
        ids.Add(id);
        // 1Password's userName is the email; the primary email wins where both name an address.
        foreach (var email in new[] { primaryEmail, userName })
        {
            if (email is not null && email.Contains('@', StringComparison.Ordinal))
            {
                emails.TryAdd(email, id);
            }
        }
    }

    /// <summary>The SCIM id of the user the attempt names, or null.</summary>
    public string? Match(SignInItem item) =>
        item.TargetUser?.Uuid is { } uuid && ids.Contains(uuid) ? uuid
        : item.TargetUser?.Email is { } email && emails.TryGetValue(email, out var id) ? id
        : null;
}
