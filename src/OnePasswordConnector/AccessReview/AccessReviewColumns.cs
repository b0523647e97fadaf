using System.Text.Json;
using Npgsql;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// Reads the current row of a query by column name. A name is looked up (GetOrdinal) the first time it is read and
/// its ordinal kept for the query's later rows, so the SQL may add or reorder columns without shifting a value into
/// the wrong field.
/// </summary>
internal sealed class NamedColumns(NpgsqlDataReader reader)
{
    private readonly Dictionary<string, int> ordinals = new(StringComparer.Ordinal);

    public string String(string name) => reader.GetString(At(name));

    public string? NullableString(string name) => At(name) is var i && reader.IsDBNull(i) ? null : reader.GetString(i);

    public T Value<T>(string name) => reader.GetFieldValue<T>(At(name));

    public DateTimeOffset? NullableInstant(string name) => At(name) is var i && reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);

    public JsonElement? Json(string name) => At(name) is var i && reader.IsDBNull(i) ? null : JsonDocument.Parse(reader.GetString(i)).RootElement.Clone();

    /// <summary>The chain of nested groups from the two parallel arrays the SQL returns (ids, then names); NULL for a direct member.</summary>
    public GroupRef[] Via() => NullableValue<string[]>("via_ids") is { } ids ? Chains.Of(ids, Value<string[]>("via_names")) : [];

    private T? NullableValue<T>(string name) where T : class => At(name) is var i && reader.IsDBNull(i) ? null : reader.GetFieldValue<T>(i);

    private int At(string name)
    {
        if (!ordinals.TryGetValue(name, out var ordinal))
        {
            ordinal = reader.GetOrdinal(name);
            ordinals[name] = ordinal;
        }

        return ordinal;
    }
}

/// <summary>The API's DTOs from the columns AccessReviewSql names.</summary>
internal static class Rows
{
    public static UserResponse User(NamedColumns c)
    {
        var ids = c.Value<string[]>("group_ids");
        var names = c.Value<string[]>("group_names");
        var chains = c.Value<string?[]>("group_vias");
        return new UserResponse(c.String("scim_id"), c.String("user_name"), c.NullableString("display_name"), c.NullableString("given_name"),
            c.NullableString("family_name"), c.NullableString("primary_email"), c.Value<string[]>("emails"), c.Value<bool>("active"),
            c.String("status"), c.Value<DateTimeOffset>("first_seen_at"), c.Value<DateTimeOffset>("last_seen_at"), c.NullableInstant("removed_at"),
            ids.Select((id, i) => new UserGroup(id, names[i], Chains.FromJson(chains[i]))).ToArray(), SignIns(c));
    }

    public static GroupResponse Group(NamedColumns c) =>
        new(c.String("scim_id"), c.String("display_name"), c.Value<int>("member_count"), c.Value<DateTimeOffset>("first_seen_at"));

    public static MemberResponse Member(NamedColumns c) =>
        new(c.String("scim_id"), c.String("user_name"), c.NullableString("display_name"), c.NullableString("primary_email"), c.Value<bool>("active"),
            c.String("status"), c.Value<DateTimeOffset>("valid_from"), c.Via());

    public static ChangeResponse Change(NamedColumns c) =>
        new(c.Value<long>("id"), c.Value<DateTimeOffset>("occurred_at"), c.Value<Guid>("sync_run_id"), c.String("kind"), c.String("subject_id"),
            c.NullableString("subject_name"), c.NullableString("group_id"), c.NullableString("group_name"), c.Json("before"), c.Json("after"));

    public static AccessReviewRow ReviewRow(NamedColumns c) =>
        new(c.String("scim_id"), c.String("user_name"), c.NullableString("display_name"), c.NullableString("primary_email"),
            c.Value<string[]>("emails"), c.String("status"), c.Value<bool>("active"), c.Value<DateTimeOffset>("first_seen_at"),
            c.NullableString("group_id"), c.NullableString("group_name"), c.NullableInstant("member_since"), c.Via(), SignIns(c));

    /// <summary>Null where sign-ins are not known (AccessReviewSql.SignInJoin gives NULL in every column).</summary>
    public static SignInActivity? SignIns(NamedColumns c) => c.NullableInstant("sign_ins_known_since") is { } known
        ? new SignInActivity(c.NullableInstant("last_sign_in_at"), c.NullableInstant("last_failed_sign_in_at"), c.NullableString("last_failed_sign_in_category"),
            c.Value<int>("sign_ins_last_30_days"), c.Value<int>("mfa_failures_last_30_days"), known)
        : null;
}

internal static class Chains
{
    /// <summary>A chain as AccessReviewSql.UserGroups spells it, the JSON pair [viaIds, viaNames]; NULL for a direct membership.</summary>
    public static GroupRef[] FromJson(string? chain) =>
        chain is null ? [] : JsonSerializer.Deserialize<string[][]>(chain) is [var ids, var names] ? Of(ids, names) : [];

    /// <summary>A direct member has no chain: the SQL gives NULL, the API an empty list.</summary>
    public static GroupRef[] Of(string[]? ids, string[]? names) =>
        ids is null || names is null ? [] : ids.Select((id, i) => new GroupRef(id, names[i])).ToArray();
}
