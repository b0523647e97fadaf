namespace OnePasswordConnector.SignIns;

/// <summary>The collection's SQL. @c connection.</summary>
internal static class SignInSql
{
    /// <summary>The connection's Events API and where its collection stands; no row without a token.</summary>
    public const string LoadSource = """
        SELECT events_url, protected_token, account_uuid, cursor, known_since
        FROM events_sources WHERE connection_id = @c AND protected_token IS NOT NULL
        """;

    /// <summary>Every user ever synced for the connection (removed ones too: old sign-ins are theirs), for matching.</summary>
    public const string Users = "SELECT scim_id, primary_email, user_name FROM directory_users WHERE connection_id = @c";

    /// <summary>One page of attempts; an attempt stored before (a page read twice) is skipped. @t the run's start.</summary>
    public const string InsertAttempts = """
        INSERT INTO sign_in_attempts (connection_id, uuid, session_uuid, occurred_at, category, type, country, target_user_uuid,
            target_user_email, target_user_name, user_scim_id, client, collected_at)
        SELECT @c, a.uuid, a.session_uuid, a.occurred_at, a.category, a.type, a.country, a.target_user_uuid, a.target_user_email,
            a.target_user_name, a.user_scim_id, a.client::jsonb, @t
        FROM unnest(@uuid, @session_uuid, @occurred_at, @category, @type, @country, @target_user_uuid, @target_user_email,
            @target_user_name, @user_scim_id, @client)
            AS a(uuid, session_uuid, occurred_at, category, type, country, target_user_uuid, target_user_email, target_user_name, user_scim_id, client)
        ON CONFLICT (connection_id, uuid) DO NOTHING
        """;

    /// <summary>
    /// Moves the cursor past the page just stored, in its transaction, only from the cursor the collection started
    /// from (@previous): a second collection of the same connection (another replica's next sync) that got there
    /// first makes this one stop instead of storing behind it, and so does a DELETE of the token or of the connection.
    /// @next, @known_since, @t run start, @now.
    /// </summary>
    public const string AdvanceCursor = """
        UPDATE events_sources SET cursor = @next, known_since = COALESCE(known_since, @known_since),
            first_collected_at = COALESCE(first_collected_at, @t), last_collected_at = @now, last_error = NULL, updated_at = @now
        WHERE connection_id = @c AND protected_token IS NOT NULL AND cursor IS NOT DISTINCT FROM @previous
          AND EXISTS (SELECT 1 FROM connections WHERE id = @c AND deleted_at IS NULL)
        """;

    /// <summary>Why the last collection stopped short; the cursor stays where the last stored page put it. @error, @now.</summary>
    public const string RecordFailure = "UPDATE events_sources SET last_error = @error, updated_at = @now WHERE connection_id = @c";

    /// <summary>Attempts older than the retention period (@before) go.</summary>
    public const string Expire = "DELETE FROM sign_in_attempts WHERE connection_id = @c AND occurred_at < @before";
}
