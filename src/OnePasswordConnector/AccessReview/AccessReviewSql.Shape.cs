using System.Collections.Concurrent;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// What a snapshot holds that its queries must follow: groups nested in groups, and sign-ins known at its instant.
/// Most directories have neither, and the parts of a query that follow them then answer nothing (no chain, NULL
/// sign-in columns) yet still cost their planning and, in the sheet, a per-user lookup that keeps PostgreSQL from
/// running it in parallel and widens the rows it sorts. A query for a shape without them leaves those parts out, so
/// the answer is the same and cheaper.
/// </summary>
internal readonly record struct SnapshotShape(bool Nesting, bool SignIns)
{
    /// <summary>Every part kept: the answer of any snapshot.</summary>
    public static readonly SnapshotShape Full = new(true, true);
}

internal static partial class AccessReviewSql
{
    // PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost (optimising past 500,000): the
    // sheet's per-user lookups are estimated at millions, and compiling them took 0.8 to 2 s of a 500,000-row sheet
    // whose rows were all in memory anyway. The read side turns it off for its session; Npgsql's DISCARD ALL ends that
    // when the connection goes back to the pool, so the sync's statements keep the server's setting.
    private const string JitOff = "set_config('jit', 'off', false)";

    /// <summary>Turns JIT off for the rest of the read's session.</summary>
    public const string NoJit = $"SELECT {JitOff}";

    /// <summary>The snapshot's shape, read with its own WITH clause (and JIT turned off in the same round trip).</summary>
    public const string Shape = $"SELECT {JitOff} AS no_jit, {ShapeColumns}";

    // A q search finds its matches through ix_directory_users_search. The planner estimates an ILIKE on each of four
    // columns as if they were independent (userName and primary email are mostly the same text), so for some common
    // names it expects a tenth of the directory and reads the whole table instead: at 100,000 users 3 of the
    // benchmark's 50 terms (Ivan, patel, schneider) took 270 to 290 ms that way against 45 to 70 ms for the others,
    // and 65 ms through the index. A search's session prefers the index; a table with no usable index still reads it.
    private const string ShapeColumns = "EXISTS (SELECT 1 FROM nested_at) AS nesting, EXISTS (SELECT 1 FROM sign_ins_known) AS sign_ins";

    // Nor does a search start parallel workers: on a common name the planner chose a parallel bitmap heap scan, and the
    // workers it starts for each search cost more CPU than the few thousand rows they share out (PostgreSQL spent about
    // 20 ms of CPU per search at 100,000 users with them, against 11 ms in the leader alone).
    private const string NoParallel = "set_config('max_parallel_workers_per_gather', '0', false)";

    /// <summary><see cref="Shape"/> for a q search: its session also prefers indexes to reading the table, and runs without parallel workers.</summary>
    public const string SearchShape =
        $"SELECT {JitOff} AS no_jit, set_config('enable_seqscan', 'off', false) AS no_seqscan, {NoParallel} AS no_parallel, {ShapeColumns}";

    /// <summary>The sign-in columns of a snapshot without sign-ins: NULL, as <see cref="SignInJoin"/> gives them there.</summary>
    private const string NoSignInJoin = """
        LEFT JOIN LATERAL (
            SELECT NULL::timestamptz AS sign_ins_known_since, NULL::timestamptz AS sign_ins_at, NULL::timestamptz AS last_sign_in_at,
                   NULL::timestamptz AS last_failed_sign_in_at, NULL::text AS last_failed_sign_in_category,
                   NULL::int AS sign_ins_last_30_days, NULL::int AS mfa_failures_last_30_days) si ON true
        """;

    private static readonly ConcurrentDictionary<(string Sql, SnapshotShape Shape), string> Shaped = new();

    /// <summary><paramref name="sql"/> for a snapshot of <paramref name="shape"/>: the parts that follow what it lacks left out.</summary>
    public static string For(string sql, SnapshotShape shape) => shape == SnapshotShape.Full
        ? sql
        : Shaped.GetOrAdd((sql, shape), static key =>
        {
            var shaped = key.Sql;
            if (!key.Shape.SignIns)
            {
                shaped = shaped.Replace(SheetUsers, SheetUsersWithoutSignIns, StringComparison.Ordinal)
                    .Replace(SignInJoin, NoSignInJoin, StringComparison.Ordinal);
            }

            return key.Shape.Nesting ? shaped : shaped.Replace(Access.NestedOfUser, "", StringComparison.Ordinal);
        });
}
