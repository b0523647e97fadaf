using System.Text.Json;
using Npgsql;

namespace OnePasswordConnector.AccessReview;

// Each reader below looks its columns up by name once per query (GetOrdinal works as soon as the query has run, even
// with no rows) and then reads every row by ordinal: the SQL may add or reorder columns without shifting a value into
// the wrong field, and a 500,000-row CSV pays no name lookup per row.

internal sealed class UserColumns(NpgsqlDataReader reader)
{
    private readonly int id = reader.GetOrdinal("scim_id");
    private readonly int userName = reader.GetOrdinal("user_name");
    private readonly int displayName = reader.GetOrdinal("display_name");
    private readonly int givenName = reader.GetOrdinal("given_name");
    private readonly int familyName = reader.GetOrdinal("family_name");
    private readonly int primaryEmail = reader.GetOrdinal("primary_email");
    private readonly int emails = reader.GetOrdinal("emails");
    private readonly int active = reader.GetOrdinal("active");
    private readonly int status = reader.GetOrdinal("status");
    private readonly int firstSeenAt = reader.GetOrdinal("first_seen_at");
    private readonly int lastSeenAt = reader.GetOrdinal("last_seen_at");
    private readonly int removedAt = reader.GetOrdinal("removed_at");
    private readonly int groupIds = reader.GetOrdinal("group_ids");
    private readonly int groupNames = reader.GetOrdinal("group_names");
    private readonly int groupVias = reader.GetOrdinal("group_vias");

    public UserResponse Read()
    {
        var ids = reader.GetFieldValue<string[]>(groupIds);
        var names = reader.GetFieldValue<string[]>(groupNames);
        var chains = reader.GetFieldValue<string?[]>(groupVias);
        return new UserResponse(reader.GetString(id), reader.GetString(userName), reader.NullableString(displayName),
            reader.NullableString(givenName), reader.NullableString(familyName), reader.NullableString(primaryEmail),
            reader.GetFieldValue<string[]>(emails), reader.GetBoolean(active), reader.GetString(status),
            reader.GetFieldValue<DateTimeOffset>(firstSeenAt), reader.GetFieldValue<DateTimeOffset>(lastSeenAt),
            reader.NullableInstant(removedAt), ids.Select((g, i) => new UserGroup(g, names[i], Columns.ChainFromJson(chains[i]))).ToArray());
    }
}

internal sealed class GroupColumns(NpgsqlDataReader reader)
{
    private readonly int id = reader.GetOrdinal("scim_id");
    private readonly int displayName = reader.GetOrdinal("display_name");
    private readonly int memberCount = reader.GetOrdinal("member_count");
    private readonly int firstSeenAt = reader.GetOrdinal("first_seen_at");

    public GroupResponse Read() => new(reader.GetString(id), reader.GetString(displayName), reader.GetInt32(memberCount),
        reader.GetFieldValue<DateTimeOffset>(firstSeenAt));
}

internal sealed class MemberColumns(NpgsqlDataReader reader)
{
    private readonly int id = reader.GetOrdinal("scim_id");
    private readonly int userName = reader.GetOrdinal("user_name");
    private readonly int displayName = reader.GetOrdinal("display_name");
    private readonly int primaryEmail = reader.GetOrdinal("primary_email");
    private readonly int active = reader.GetOrdinal("active");
    private readonly int status = reader.GetOrdinal("status");
    private readonly int memberSince = reader.GetOrdinal("valid_from");
    private readonly int viaIds = reader.GetOrdinal("via_ids");
    private readonly int viaNames = reader.GetOrdinal("via_names");

    public MemberResponse Read() => new(reader.GetString(id), reader.GetString(userName), reader.NullableString(displayName),
        reader.NullableString(primaryEmail), reader.GetBoolean(active), reader.GetString(status),
        reader.GetFieldValue<DateTimeOffset>(memberSince), reader.Via(viaIds, viaNames));
}

internal sealed class ChangeColumns(NpgsqlDataReader reader)
{
    private readonly int id = reader.GetOrdinal("id");
    private readonly int occurredAt = reader.GetOrdinal("occurred_at");
    private readonly int syncRunId = reader.GetOrdinal("sync_run_id");
    private readonly int kind = reader.GetOrdinal("kind");
    private readonly int subjectId = reader.GetOrdinal("subject_id");
    private readonly int subjectName = reader.GetOrdinal("subject_name");
    private readonly int groupId = reader.GetOrdinal("group_id");
    private readonly int groupName = reader.GetOrdinal("group_name");
    private readonly int before = reader.GetOrdinal("before");
    private readonly int after = reader.GetOrdinal("after");

    public ChangeResponse Read() => new(reader.GetInt64(id), reader.GetFieldValue<DateTimeOffset>(occurredAt), reader.GetGuid(syncRunId),
        reader.GetString(kind), reader.GetString(subjectId), reader.NullableString(subjectName), reader.NullableString(groupId),
        reader.NullableString(groupName), reader.Json(before), reader.Json(after));
}

internal sealed class ReviewRowColumns(NpgsqlDataReader reader)
{
    private readonly int userId = reader.GetOrdinal("scim_id");
    private readonly int userName = reader.GetOrdinal("user_name");
    private readonly int displayName = reader.GetOrdinal("display_name");
    private readonly int primaryEmail = reader.GetOrdinal("primary_email");
    private readonly int emails = reader.GetOrdinal("emails");
    private readonly int status = reader.GetOrdinal("status");
    private readonly int active = reader.GetOrdinal("active");
    private readonly int firstSeenAt = reader.GetOrdinal("first_seen_at");
    private readonly int groupId = reader.GetOrdinal("group_id");
    private readonly int groupName = reader.GetOrdinal("group_name");
    private readonly int memberSince = reader.GetOrdinal("member_since");
    private readonly int viaIds = reader.GetOrdinal("via_ids");
    private readonly int viaNames = reader.GetOrdinal("via_names");

    public AccessReviewRow Read() => new(reader.GetString(userId), reader.GetString(userName), reader.NullableString(displayName),
        reader.NullableString(primaryEmail), reader.GetFieldValue<string[]>(emails), reader.GetString(status), reader.GetBoolean(active),
        reader.GetFieldValue<DateTimeOffset>(firstSeenAt), reader.NullableString(groupId), reader.NullableString(groupName),
        reader.NullableInstant(memberSince), reader.Via(viaIds, viaNames));
}

internal static class Columns
{
    /// <summary>A chain as AccessReviewSql.UserGroups spells it, the JSON pair [viaIds, viaNames]; NULL for a direct membership.</summary>
    public static GroupRef[] ChainFromJson(string? chain) =>
        chain is null ? [] : JsonSerializer.Deserialize<string[][]>(chain) is [var ids, var names] ? Chain(ids, names) : [];

    /// <summary>A direct member has no chain: the SQL gives NULL, the API an empty list.</summary>
    public static GroupRef[] Chain(string[]? ids, string[]? names) =>
        ids is null || names is null ? [] : ids.Select((id, i) => new GroupRef(id, names[i])).ToArray();

    /// <summary>The chain of nested groups from the two parallel arrays the SQL returns (ids, then names).</summary>
    public static GroupRef[] Via(this NpgsqlDataReader r, int ids, int names) =>
        r.IsDBNull(ids) ? [] : Chain(r.GetFieldValue<string[]>(ids), r.GetFieldValue<string[]>(names));

    public static string? NullableString(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static DateTimeOffset? NullableInstant(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    public static JsonElement? Json(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : JsonDocument.Parse(r.GetString(i)).RootElement.Clone();
}
