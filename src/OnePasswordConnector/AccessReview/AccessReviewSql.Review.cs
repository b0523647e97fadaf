namespace OnePasswordConnector.AccessReview;

internal static partial class AccessReviewSql
{
    /// <summary>One row per user and group they hold (directly or through nested groups), plus one row (no group) for users in no group.</summary>
    public static readonly string AccessReview = $"""
        SELECT u.scim_id, u.user_name, u.display_name, u.primary_email, u.emails, {Status} AS status, u.active, u.first_seen_at,
               x.group_id, x.display_name AS group_name, x.valid_from AS member_since, x.via_ids, x.via_names, {SignInColumns}
        FROM users_at u
        {SignInJoin}
        LEFT JOIN LATERAL (
            SELECT a.group_id, g.display_name, a.valid_from, a.via_ids, a.via_names
            FROM ({Access.OfUser}) a JOIN groups_at g ON g.scim_id = a.group_id) x ON true
        -- The first, redundant condition lets the (connection_id, user_name, scim_id) index start at the cursor.
        WHERE (@after_key IS NULL OR (u.user_name, u.scim_id) >= (@after_key, @after_id))
          AND (@after_key IS NULL OR (u.user_name, u.scim_id, COALESCE(x.group_id, '')) > (@after_key, @after_id, @after_group))
        ORDER BY u.user_name, u.scim_id, COALESCE(x.group_id, '')
        LIMIT @limit
        """;


    /// <summary>
    /// The whole review sheet, for the CSV: the rows and order of <see cref="AccessReview"/>, joined set-wise (one pass
    /// over the memberships, which PostgreSQL may split across workers) instead of one user at a time, which suits a
    /// page but not 500,000 rows. A directory without nesting takes the direct memberships alone: a recursive CTE in
    /// the plan would keep PostgreSQL from running it in parallel.
    /// </summary>
    public const string AccessReviewSheet = $"""
        SELECT u.scim_id, u.user_name, u.display_name, u.primary_email, u.emails, {Status} AS status, u.active, u.first_seen_at,
               x.group_id, x.display_name AS group_name, x.valid_from AS member_since, x.via_ids, x.via_names, {SheetSignInColumns}
        FROM {SheetUsers} u
        LEFT JOIN (SELECT a.member_id, a.group_id, g.display_name, a.valid_from, a.via_ids, a.via_names
                   FROM access_at a JOIN groups_at g ON g.scim_id = a.group_id) x ON x.member_id = u.scim_id
        ORDER BY u.user_name, u.scim_id, COALESCE(x.group_id, '')
        """;

    /// <summary><see cref="AccessReviewSheet"/> for a snapshot in which no group holds another.</summary>
    public const string AccessReviewSheetDirect = $"""
        SELECT u.scim_id, u.user_name, u.display_name, u.primary_email, u.emails, {Status} AS status, u.active, u.first_seen_at,
               x.group_id, x.display_name AS group_name, x.valid_from AS member_since, NULL::text[] AS via_ids, NULL::text[] AS via_names,
               {SheetSignInColumns}
        FROM {SheetUsers} u
        LEFT JOIN (SELECT m.member_id, m.group_id, g.display_name, m.valid_from
                   FROM members_at m JOIN groups_at g ON g.scim_id = m.group_id
                   WHERE m.member_type = 'User') x ON x.member_id = u.scim_id
        ORDER BY u.user_name, u.scim_id, COALESCE(x.group_id, '')
        """;

    // The sheet reads each user's sign-ins once, before the user's rows fan out over their groups (OFFSET 0 keeps the
    // planner from joining the groups first). Only the columns the sheet shows: every byte of a row is sorted.
    private const string SheetUserColumns = "u.scim_id, u.user_name, u.display_name, u.primary_email, u.emails, u.state, u.active, u.first_seen_at";

    private const string SheetUsers = $"(SELECT {SheetUserColumns}, {SignInColumns} FROM users_at u {SignInJoin} OFFSET 0)";

    // Without sign-ins the per-user lookup goes, and with it what kept PostgreSQL from sorting the sheet in parallel
    // (a MATERIALIZED CTE scanned per row is parallel-restricted).
    private const string SheetUsersWithoutSignIns = $"""
        (SELECT {SheetUserColumns}, NULL::timestamptz AS sign_ins_known_since, NULL::timestamptz AS last_sign_in_at,
                NULL::timestamptz AS last_failed_sign_in_at, NULL::text AS last_failed_sign_in_category, NULL::int AS sign_ins_last_30_days,
                NULL::int AS mfa_failures_last_30_days
         FROM users_at u)
        """;

    private const string SheetSignInColumns =
        "u.sign_ins_known_since, u.last_sign_in_at, u.last_failed_sign_in_at, u.last_failed_sign_in_category, u.sign_ins_last_30_days, u.mfa_failures_last_30_days";

    public const string SummaryCounts = $"""
        SELECT
            (SELECT COALESCE(jsonb_object_agg(s.status, s.n), jsonb_build_object())::text FROM (
                SELECT lower({Status}) AS status, count(*)::int AS n FROM users_at u WHERE u.removed_at IS NULL GROUP BY 1) s) AS users_by_status,
            (SELECT count(*)::int FROM directory_users d WHERE d.connection_id = @c AND d.removed_at IS NOT NULL) AS removed_users,
            (SELECT count(*)::int FROM groups_at) AS groups,
            (SELECT count(*)::int FROM members_at m JOIN groups_at g ON g.scim_id = m.group_id JOIN users_at u ON u.scim_id = m.member_id
             WHERE m.member_type = 'User')
            + (SELECT count(*)::int FROM nested_access_at n JOIN groups_at g ON g.scim_id = n.group_id JOIN users_at u ON u.scim_id = n.member_id) AS memberships,
            (SELECT count(*)::int FROM change_events e WHERE e.connection_id = @c AND e.kind = 'user_added' AND e.occurred_at >= @since) AS users_added,
            (SELECT count(*)::int FROM change_events e WHERE e.connection_id = @c AND e.kind = 'user_removed' AND e.occurred_at >= @since) AS users_removed
        """;

    /// <summary>
    /// 1Password's built-in privileged groups, by name (@privileged: <see cref="Scim.PrivilegedGroups.LowerCaseNames"/>),
    /// with their members as a JSON array of {id, userName, viaIds, viaNames}.
    /// </summary>
    public static readonly string PrivilegedMembers = $"""
        SELECT g.scim_id, g.display_name,
               COALESCE(jsonb_agg(jsonb_build_object('id', p.member_id, 'userName', p.user_name, 'viaIds', p.via_ids, 'viaNames', p.via_names)
                                  ORDER BY p.user_name, p.member_id) FILTER (WHERE p.member_id IS NOT NULL), '[]')::text AS members
        FROM groups_at g
        LEFT JOIN LATERAL (
            SELECT a.member_id, u.user_name, a.via_ids, a.via_names
            FROM ({Access.OfGroup}) a JOIN users_at u ON u.scim_id = a.member_id) p ON true
        WHERE lower(g.display_name) = ANY (@privileged)
        GROUP BY g.scim_id, g.display_name
        ORDER BY g.display_name, g.scim_id
        """;

    public static readonly string InactiveWithMemberships = $"""
        SELECT u.scim_id, u.user_name, {Status} AS status, array_agg(g.display_name ORDER BY g.display_name, g.scim_id) AS groups,
               count(*) OVER ()::int AS total
        FROM users_at u
        JOIN LATERAL ({Access.OfUser}) m ON true
        JOIN groups_at g ON g.scim_id = m.group_id
        WHERE u.removed_at IS NULL AND lower({Status}) <> 'active'
        GROUP BY u.scim_id, u.user_name, u.state, u.active
        ORDER BY u.user_name, u.scim_id
        LIMIT 100
        """;
}
