namespace OnePasswordConnector.AccessReview;

/// <summary>
/// The read side in SQL. Every query starts from the same three snapshots, <c>users_at</c>, <c>groups_at</c> and
/// <c>members_at</c>: either the current tables, or the directory as it stood at @t, the instant of a succeeded sync
/// (every row a sync writes is stamped with it). A row existed at @t when its current version began at or before @t
/// and was not yet removed, or when one of its closed history periods [valid_from, valid_to) contains @t.
/// Parameters: @c connection, @t the snapshot's sync end (shown as last seen), @v that sync's start (every row it wrote
/// carries it, so validity is tested at @v), @synced last successful sync, @removed include removed users.
/// </summary>
internal static partial class AccessReviewSql
{
    /// <summary>The status a reviewer sees: the 1Password state where the bridge sends one, else active/inactive.</summary>
    public const string Status = "COALESCE(u.state, CASE WHEN u.active THEN 'active' ELSE 'inactive' END)";

    private const string CurrentUsers = """
        users_at AS NOT MATERIALIZED (
            SELECT u.scim_id, u.user_name, u.display_name, u.given_name, u.family_name, u.formatted_name, u.primary_email,
                   u.emails, u.active, u.state, u.first_seen_at,
                   CASE WHEN u.removed_at IS NULL THEN COALESCE(@synced, u.last_seen_at) ELSE u.last_seen_at END AS last_seen_at,
                   u.removed_at
            FROM directory_users u
            WHERE u.connection_id = @c AND (u.removed_at IS NULL OR @removed))
        """;

    private const string UsersAsOf = """
        users_at AS NOT MATERIALIZED (
            SELECT u.scim_id, u.user_name, u.display_name, u.given_name, u.family_name, u.formatted_name, u.primary_email,
                   u.emails, u.active, u.state, u.first_seen_at, @t AS last_seen_at, NULL::timestamptz AS removed_at
            FROM directory_users u
            WHERE u.connection_id = @c AND u.valid_from <= @v AND (u.removed_at IS NULL OR u.removed_at > @v)
            UNION ALL
            SELECT h.scim_id, h.user_name, h.display_name, h.given_name, h.family_name, h.formatted_name, h.primary_email,
                   h.emails, h.active, h.state, d.first_seen_at, @t, NULL
            FROM user_history h
            JOIN directory_users d ON d.connection_id = h.connection_id AND d.scim_id = h.scim_id
            WHERE h.connection_id = @c AND h.valid_from <= @v AND h.valid_to > @v)
        """;

    private const string CurrentGroups = """
        groups_at AS NOT MATERIALIZED (
            SELECT g.scim_id, g.display_name, g.first_seen_at
            FROM directory_groups g
            WHERE g.connection_id = @c AND g.removed_at IS NULL)
        """;

    private const string GroupsAsOf = """
        groups_at AS NOT MATERIALIZED (
            SELECT g.scim_id, g.display_name, g.first_seen_at
            FROM directory_groups g
            WHERE g.connection_id = @c AND g.valid_from <= @v AND (g.removed_at IS NULL OR g.removed_at > @v)
            UNION ALL
            SELECT h.scim_id, h.display_name, d.first_seen_at
            FROM group_history h
            JOIN directory_groups d ON d.connection_id = h.connection_id AND d.scim_id = h.scim_id
            WHERE h.connection_id = @c AND h.valid_from <= @v AND h.valid_to > @v)
        """;

    private const string CurrentMembers = """
        members_at AS NOT MATERIALIZED (
            SELECT m.group_id, m.member_id, m.member_type, m.valid_from
            FROM memberships m
            WHERE m.connection_id = @c AND m.removed_at IS NULL)
        """;

    private const string MembersAsOf = """
        members_at AS NOT MATERIALIZED (
            SELECT m.group_id, m.member_id, m.member_type, m.valid_from
            FROM memberships m
            WHERE m.connection_id = @c AND m.valid_from <= @v AND (m.removed_at IS NULL OR m.removed_at > @v)
            UNION ALL
            SELECT h.group_id, h.member_id, h.member_type, h.valid_from
            FROM membership_history h
            WHERE h.connection_id = @c AND h.valid_from <= @v AND h.valid_to > @v)
        """;

    // A SCIM server may list a group as a member of a group (RFC 7643 §4.2, members.type "Group"): its users hold the
    // outer group's access too. nested_at are those group-in-group links, found through a partial index that holds only
    // them (NestedGroupIndexes), so a directory without nesting pays next to nothing. nesting_at walks them from every
    // outer group: via_ids/via_names is the chain of groups below the outer one, outermost first; the path array keeps a
    // cycle (A in B in A) from being walked round, and a chain is followed 16 groups deep at most.
    // access_at is every (group, user) pair once, with how the user holds it: directly (no chain: NULL, which keeps the
    // sheet's rows narrow for its sort), else through the shortest chain (ties: the smallest group ids).
    // nested_access_at holds only the pairs that are not direct, so the direct pairs keep the plans they had before
    // nesting was followed, and cost nothing more in a directory without nesting.
    private const string Nesting = """
        nested_at AS MATERIALIZED (
            SELECT m.group_id, g.scim_id AS inner_id, g.display_name AS inner_name, m.valid_from
            FROM members_at m JOIN groups_at g ON g.scim_id = m.member_id
            WHERE m.member_type = 'Group'),
        nesting_at (group_id, inner_id, via_ids, via_names, since, depth) AS (
            SELECT n.group_id, n.inner_id, ARRAY[n.inner_id], ARRAY[n.inner_name], n.valid_from, 1
            FROM nested_at n
            WHERE n.inner_id <> n.group_id
            UNION ALL
            SELECT r.group_id, n.inner_id, r.via_ids || n.inner_id, r.via_names || n.inner_name, GREATEST(r.since, n.valid_from), r.depth + 1
            FROM nesting_at r JOIN nested_at n ON n.group_id = r.inner_id
            WHERE r.depth < 16 AND n.inner_id <> r.group_id AND n.inner_id <> ALL (r.via_ids)),
        nested_access_at AS NOT MATERIALIZED (
            SELECT DISTINCT ON (r.group_id, m.member_id)
                   r.group_id, m.member_id, r.via_ids, r.via_names, GREATEST(r.since, m.valid_from) AS valid_from
            FROM nesting_at r JOIN members_at m ON m.group_id = r.inner_id AND m.member_type = 'User'
            WHERE NOT EXISTS (SELECT 1 FROM members_at d WHERE d.group_id = r.group_id AND d.member_id = m.member_id AND d.member_type = 'User')
            ORDER BY r.group_id, m.member_id, r.depth, r.via_ids),
        access_at AS NOT MATERIALIZED (
            SELECT m.group_id, m.member_id, NULL::text[] AS via_ids, NULL::text[] AS via_names, m.valid_from
            FROM members_at m
            WHERE m.member_type = 'User'
            UNION ALL
            SELECT n.group_id, n.member_id, n.via_ids, n.via_names, n.valid_from
            FROM nested_access_at n)
        """;

    /// <summary>The WITH clause for the current directory or the snapshot at @t.</summary>
    public static string Snapshot(bool asOf) => asOf
        ? $"WITH RECURSIVE {UsersAsOf},\n{GroupsAsOf},\n{MembersAsOf},\n{Nesting},\n{SignInsKnown}\n"
        : $"WITH RECURSIVE {CurrentUsers},\n{CurrentGroups},\n{CurrentMembers},\n{Nesting},\n{SignInsKnown}\n";

    /// <summary>The last succeeded sync that had finished by @as_of: the snapshot an asOf query answers from.</summary>
    public const string SnapshotInstant = """
        SELECT r.finished_at, r.started_at FROM sync_runs r
        WHERE r.connection_id = @c AND r.status = 'succeeded' AND r.finished_at <= @as_of
        ORDER BY r.finished_at DESC LIMIT 1
        """;

    // The groups user u holds (access_at for one user) and the users holding group g. Spelt out per branch so that each
    // branch is evaluated for the one user or group through its index, rather than joined whole to the outer query.
    // A nested class, so that both exist before any query of another part of this partial class is composed from them.
    private static class Access
    {
        public static readonly string OfUser = Of(key: "member_id", value: "u.scim_id", other: "group_id");
        public static readonly string OfGroup = Of(key: "group_id", value: "g.scim_id", other: "member_id");

        /// <summary>The nested branch of <see cref="OfUser"/>: a snapshot without nesting leaves it out (<see cref="SnapshotShape"/>).</summary>
        public static readonly string NestedOfUser = Nested(key: "member_id", value: "u.scim_id", other: "group_id");

        private static string Of(string key, string value, string other) => $"""
            SELECT m.{other}, m.valid_from, NULL::text[] AS via_ids, NULL::text[] AS via_names
            FROM members_at m WHERE m.{key} = {value} AND m.member_type = 'User'{Nested(key, value, other)}
            """;

        private static string Nested(string key, string value, string other) => $"""

            UNION ALL
            SELECT n.{other}, n.valid_from, n.via_ids, n.via_names
            FROM nested_access_at n WHERE n.{key} = {value}
            """;
    }
}
