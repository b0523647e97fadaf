namespace OnePasswordConnector.AccessReview;

internal static partial class AccessReviewSql
{
    /// <summary>The sort key of <c>users</c>: @sort_by_name picks the person's name, else the userName.</summary>
    private const string UserSortKey = "CASE WHEN @sort_by_name THEN COALESCE(u.display_name, u.formatted_name, u.user_name) ELSE u.user_name END";

    /// <summary>
    /// A user's groups, by name: their ids, their names and, where a group is held through nested groups, its chain as
    /// a JSON array [viaIds, viaNames] (NULL for a direct membership, which keeps the common case as cheap as before).
    /// </summary>
    private static readonly string UserGroups = $"""
        LEFT JOIN LATERAL (
            SELECT array_agg(a.group_id ORDER BY g.display_name, g.scim_id) AS ids,
                   array_agg(g.display_name ORDER BY g.display_name, g.scim_id) AS names,
                   array_agg(CASE WHEN a.via_ids IS NOT NULL THEN jsonb_build_array(a.via_ids, a.via_names)::text END
                             ORDER BY g.display_name, g.scim_id) AS vias
            FROM ({Access.OfUser}) a JOIN groups_at g ON g.scim_id = a.group_id) gs ON true
        """;

    /// <summary>What <c>q</c> matches: text in any of the four columns (served by ix_directory_users_search, pg_trgm).</summary>
    private const string Matches = "(u.user_name ILIKE @q OR u.display_name ILIKE @q OR u.primary_email ILIKE @q OR u.formatted_name ILIKE @q)";

    public static readonly string Users = UsersFrom("users_at u");

    /// <summary>
    /// <see cref="Users"/> for a <c>q</c> search. The users that match are found first (through the trigram index) and
    /// sorted, and only the page's users get their groups: walking the sort index instead and testing each user reads
    /// the whole directory when the matches sort late (a search for "zoë" read 98,000 users to find its first 101),
    /// and sorting after the group lookups looks up the groups of every match.
    /// </summary>
    public static readonly string UsersMatching = UsersFrom($"(SELECT * FROM users_at u WHERE {Matches} ORDER BY {UserSortKey}, u.scim_id OFFSET 0) u");

    /// <summary>
    /// <see cref="UsersMatching"/> for a search filtered by nothing a user's groups or sign-ins decide (no group, no
    /// dormantDays): the page is cut from the matches before the groups are looked up, so PostgreSQL keeps only the
    /// page's rows while it sorts (a bounded top-N sort) instead of sorting every match. A common name matches thousands
    /// of users (q=Ivan: 4,405 of 100,001). The matches are still found through the trigram index first (OFFSET 0):
    /// walking the sort index and testing each user reads most of the directory when the matches sort late (zoë).
    /// </summary>
    public static readonly string UsersMatchingPage = UsersFrom($"""
        (SELECT * FROM (SELECT * FROM users_at u WHERE {Matches} OFFSET 0) u
         WHERE (@status IS NULL OR lower({Status}) = @status)
           AND (@after_key IS NULL OR ({UserSortKey}, u.scim_id) > (@after_key, @after_id))
         ORDER BY {UserSortKey}, u.scim_id
         LIMIT @limit) u
        """);

    private static string UsersFrom(string users) => $"""
        SELECT u.scim_id, u.user_name, u.display_name, u.given_name, u.family_name, u.primary_email, u.emails, u.active,
               {Status} AS status, u.first_seen_at, u.last_seen_at, u.removed_at, COALESCE(gs.ids, ARRAY[]::text[]) AS group_ids,
               COALESCE(gs.names, ARRAY[]::text[]) AS group_names, COALESCE(gs.vias, ARRAY[]::text[]) AS group_vias,
               {SignInColumns}, {UserSortKey} AS sort_key
        FROM {users}
        {UserGroups}
        {SignInJoin}
        WHERE (@status IS NULL OR lower({Status}) = @status)
          AND (@dormant_days IS NULL OR {Dormant})
          AND (@group IS NULL OR EXISTS (SELECT 1 FROM ({Access.OfUser}) a WHERE a.group_id = @group))
          AND (@q IS NULL OR {Matches})
          AND (@after_key IS NULL OR ({UserSortKey}, u.scim_id) > (@after_key, @after_id))
        ORDER BY {UserSortKey}, u.scim_id
        LIMIT @limit
        """;

    public static readonly string User = $"""
        SELECT u.scim_id, u.user_name, u.display_name, u.given_name, u.family_name, u.primary_email, u.emails, u.active,
               {Status} AS status, u.first_seen_at, u.last_seen_at, u.removed_at, COALESCE(gs.ids, ARRAY[]::text[]) AS group_ids,
               COALESCE(gs.names, ARRAY[]::text[]) AS group_names, COALESCE(gs.vias, ARRAY[]::text[]) AS group_vias, {SignInColumns}
        FROM users_at u
        {UserGroups}
        {SignInJoin}
        WHERE u.scim_id = @user
        """;

    /// <summary>
    /// A group's member count is the number of users its member list shows: known users, direct or nested, once each.
    /// </summary>
    public static readonly string Groups = $"""
        SELECT g.scim_id, g.display_name, g.first_seen_at,
               (SELECT count(*) FROM ({Access.OfGroup}) a JOIN users_at u ON u.scim_id = a.member_id)::int AS member_count
        FROM groups_at g
        WHERE (@q IS NULL OR g.display_name ILIKE @q)
          AND (@after_key IS NULL OR (g.display_name, g.scim_id) > (@after_key, @after_id))
        ORDER BY g.display_name, g.scim_id
        LIMIT @limit
        """;

    public const string Group = "SELECT g.display_name FROM groups_at g WHERE g.scim_id = @group";

    /// <summary>
    /// A group's users: its direct members, then those who hold it only through nested groups, merged in userName
    /// order. Each part is ordered and limited on its own, so the direct part keeps its plan (walking the userName index
    /// for a large group, or the group's memberships for a small one).
    /// </summary>
    public const string Members = $"""
        SELECT * FROM (
            (SELECT u.scim_id, u.user_name, u.display_name, u.primary_email, u.active, {Status} AS status, m.valid_from,
                    NULL::text[] AS via_ids, NULL::text[] AS via_names
             FROM members_at m JOIN users_at u ON u.scim_id = m.member_id
             WHERE m.group_id = @group AND m.member_type = 'User' AND (@after_key IS NULL OR (u.user_name, u.scim_id) > (@after_key, @after_id))
             ORDER BY u.user_name, u.scim_id
             LIMIT @limit)
            UNION ALL
            (SELECT u.scim_id, u.user_name, u.display_name, u.primary_email, u.active, {Status}, n.valid_from, n.via_ids, n.via_names
             FROM nested_access_at n JOIN users_at u ON u.scim_id = n.member_id
             WHERE n.group_id = @group AND (@after_key IS NULL OR (u.user_name, u.scim_id) > (@after_key, @after_id))
             ORDER BY u.user_name, u.scim_id
             LIMIT @limit)) x
        ORDER BY x.user_name, x.scim_id
        LIMIT @limit
        """;

    public const string Changes = """
        SELECT e.id, e.occurred_at, e.sync_run_id, e.kind, e.subject_id, e.subject_name, e.group_id, e.group_name,
               e.before::text AS before, e.after::text AS after
        FROM change_events e
        WHERE e.connection_id = @c
          AND (@since IS NULL OR e.occurred_at >= @since) AND (@until IS NULL OR e.occurred_at < @until)
          AND (@kind IS NULL OR e.kind = @kind)
          AND (@subject IS NULL OR (e.subject_id = @subject AND (e.kind LIKE 'user%' OR e.kind LIKE 'membership%')))
          AND (@after_at IS NULL OR (e.occurred_at, e.id) < (@after_at, @after_event))
        ORDER BY e.occurred_at DESC, e.id DESC
        LIMIT @limit
        """;
}
