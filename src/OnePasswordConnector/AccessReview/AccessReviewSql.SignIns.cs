namespace OnePasswordConnector.AccessReview;

// Sign-ins in the read side (collected by SignIns/ from the 1Password Events API). sign_ins_known is one row once the
// connection's collection had begun by the snapshot, else none: then every sign-in column is NULL, which tells "not
// known" from "no sign-in". As of a past sync only attempts that sync's collection (or an earlier one) had stored
// count, so the answer is the one a reviewer got then. @now is the request's time.
internal static partial class AccessReviewSql
{
    private const string SignInsKnown = """
        sign_ins_known AS MATERIALIZED (
            SELECT s.known_since, COALESCE(@t, @now) AS at, COALESCE(@v, @now) AS collected_by
            FROM events_sources s
            WHERE s.connection_id = @c AND s.known_since IS NOT NULL AND s.first_collected_at <= COALESCE(@v, @now))
        """;

    /// <summary>
    /// The sign-in columns of user u, as <c>si</c>: the last success, the last failure and its category, successes and
    /// MFA failures in the 30 days before the snapshot, and since when sign-ins are known. firewall_reported_success is
    /// neither a success nor a failure.
    /// </summary>
    private const string SignInJoin = """
        LEFT JOIN LATERAL (
            SELECT k.known_since AS sign_ins_known_since, k.at AS sign_ins_at,
                (SELECT max(a.occurred_at) FROM sign_in_attempts a
                 WHERE a.connection_id = @c AND a.user_scim_id = u.scim_id AND a.category = 'success'
                   AND a.occurred_at <= k.at AND a.collected_at <= k.collected_by) AS last_sign_in_at,
                f.occurred_at AS last_failed_sign_in_at, f.category AS last_failed_sign_in_category,
                n.sign_ins AS sign_ins_last_30_days, n.mfa_failures AS mfa_failures_last_30_days
            FROM sign_ins_known k
            LEFT JOIN LATERAL (
                SELECT a.occurred_at, a.category FROM sign_in_attempts a
                WHERE a.connection_id = @c AND a.user_scim_id = u.scim_id AND a.category NOT IN ('success', 'firewall_reported_success')
                  AND a.occurred_at <= k.at AND a.collected_at <= k.collected_by
                ORDER BY a.occurred_at DESC LIMIT 1) f ON true
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE a.category = 'success')::int AS sign_ins,
                       count(*) FILTER (WHERE a.category = 'mfa_failed')::int AS mfa_failures
                FROM sign_in_attempts a
                WHERE a.connection_id = @c AND a.user_scim_id = u.scim_id
                  AND a.occurred_at > k.at - interval '30 days' AND a.occurred_at <= k.at AND a.collected_at <= k.collected_by) n) si ON true
        """;

    private const string SignInColumns =
        "si.sign_ins_known_since, si.last_sign_in_at, si.last_failed_sign_in_at, si.last_failed_sign_in_category, si.sign_ins_last_30_days, si.mfa_failures_last_30_days";

    /// <summary>An active user with no success in the @dormant_days before the snapshot, where sign-ins are known that far back.</summary>
    private const string Dormant = $"""
        (u.removed_at IS NULL AND lower({Status}) = 'active' AND si.sign_ins_known_since <= si.sign_ins_at - make_interval(days => @dormant_days)
         AND (si.last_sign_in_at IS NULL OR si.last_sign_in_at <= si.sign_ins_at - make_interval(days => @dormant_days)))
        """;

    /// <summary>The summary's sign-in counts over the users in 1Password: dormant ones, and those with @mfa_failures or more MFA failures in 30 days.</summary>
    public const string SignInSummary = $"""
        SELECT (SELECT k.known_since FROM sign_ins_known k) AS known_since,
               count(*) FILTER (WHERE {Dormant})::int AS dormant_users,
               count(*) FILTER (WHERE si.mfa_failures_last_30_days >= @mfa_failures)::int AS repeated_mfa_failure_users
        FROM users_at u
        {SignInJoin}
        WHERE u.removed_at IS NULL
        """;
}
