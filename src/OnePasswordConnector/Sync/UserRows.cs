using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>A user's row as the sync COPYs it: the column lists and the writer that must agree with them.</summary>
internal static class UserRows
{
    public const string Stage = """
        COPY stage_users (scim_id, external_id, user_name, given_name, family_name, formatted_name, display_name,
            primary_email, emails, active, state, scim_created_at, scim_last_modified_at, raw, content_hash) FROM STDIN (FORMAT BINARY)
        """;

    public const string Baseline = """
        COPY directory_users (connection_id, scim_id, external_id, user_name, given_name, family_name, formatted_name, display_name,
            primary_email, emails, active, state, scim_created_at, scim_last_modified_at, raw, content_hash,
            valid_from, first_seen_at, last_seen_at) FROM STDIN (FORMAT BINARY)
        """;

    public static string Copy(StageTarget target) => target.IsBaseline ? Baseline : Stage;

    public static async Task WriteAsync(NpgsqlBinaryImporter writer, StageTarget target, ScimUser user, CancellationToken cancellationToken)
    {
        await target.StartRowAsync(writer, cancellationToken);
        await writer.WriteAsync(user.Id, NpgsqlDbType.Text, cancellationToken);
        await writer.WriteNullableAsync(user.ExternalId, cancellationToken);
        await writer.WriteAsync(user.UserName, NpgsqlDbType.Text, cancellationToken);
        await writer.WriteNullableAsync(user.GivenName, cancellationToken);
        await writer.WriteNullableAsync(user.FamilyName, cancellationToken);
        await writer.WriteNullableAsync(user.FormattedName, cancellationToken);
        await writer.WriteNullableAsync(user.DisplayName, cancellationToken);
        await writer.WriteNullableAsync(user.PrimaryEmail, cancellationToken);
        await writer.WriteAsync(user.Emails, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
        await writer.WriteAsync(user.Active, NpgsqlDbType.Boolean, cancellationToken);
        await writer.WriteNullableAsync(user.State, cancellationToken);
        await writer.WriteResourceAsync(user.Created, user.LastModified, user.RawUtf8, user.Hash, cancellationToken);
        await target.EndRowAsync(writer, cancellationToken);
    }
}
