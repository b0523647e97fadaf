using System.Buffers;
using Npgsql;

namespace OnePasswordConnector.AccessReview;

/// <summary>
/// Sheet lines straight from the reader of the sheet's query (AccessReviewSql.AccessReviewSheet), in the cells of
/// <see cref="AccessReviewCsv.WriteRowAsync(SheetCsvWriter, AccessReviewRow, SheetInstants)"/>: no row object, each
/// column read once by ordinal (looked up by name when the query starts) with its typed getter. A user's lines come
/// together (the sheet is ordered by user) and repeat the user's cells and sign-in cells, so those are written once per
/// user and copied as bytes onto the user's other lines; only the group's cells are read and written per line.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Its cell writers write into its own buffers: disposing one releases nothing.")]
internal sealed class SheetLines
{
    private readonly NpgsqlDataReader reader;
    private readonly int userId, userName, displayName, primaryEmail, emails, status, active, firstSeenAt;
    private readonly int groupId, groupName, memberSince, viaIds, viaNames;
    private readonly int knownSince, lastSignIn, lastFailed, lastFailedCategory, signInsLast30Days, mfaFailuresLast30Days;
    private readonly ArrayBufferWriter<byte> userCells = new(512);
    private readonly ArrayBufferWriter<byte> signInCells = new(256);
    private readonly SheetCsvWriter user;
    private readonly SheetCsvWriter signIns;
    private readonly SheetInstants instants = new();
    private string? lastUser;

    public SheetLines(NpgsqlDataReader reader, bool formulaEscape)
    {
        this.reader = reader;
        (userId, userName, displayName, primaryEmail) = (reader.GetOrdinal("scim_id"), reader.GetOrdinal("user_name"), reader.GetOrdinal("display_name"),
            reader.GetOrdinal("primary_email"));
        (emails, status, active, firstSeenAt) = (reader.GetOrdinal("emails"), reader.GetOrdinal("status"), reader.GetOrdinal("active"),
            reader.GetOrdinal("first_seen_at"));
        (groupId, groupName, memberSince, viaIds, viaNames) = (reader.GetOrdinal("group_id"), reader.GetOrdinal("group_name"), reader.GetOrdinal("member_since"),
            reader.GetOrdinal("via_ids"), reader.GetOrdinal("via_names"));
        (knownSince, lastSignIn, lastFailed) = (reader.GetOrdinal("sign_ins_known_since"), reader.GetOrdinal("last_sign_in_at"),
            reader.GetOrdinal("last_failed_sign_in_at"));
        (lastFailedCategory, signInsLast30Days, mfaFailuresLast30Days) = (reader.GetOrdinal("last_failed_sign_in_category"),
            reader.GetOrdinal("sign_ins_last_30_days"), reader.GetOrdinal("mfa_failures_last_30_days"));
        user = new SheetCsvWriter(userCells, formulaEscape);
        signIns = new SheetCsvWriter(signInCells, formulaEscape);
    }

    /// <summary>The six empty sign-in cells of a connection that collects no sign-ins (or did not yet at asOf): not "never signed in".</summary>
    public static void NoSignIns(SheetCsvWriter csv)
    {
        for (var i = 0; i < 6; i++)
        {
            csv.Text("");
        }
    }

    /// <summary>The line of the reader's current row, without its line end.</summary>
    public void Write(SheetCsvWriter csv)
    {
        var id = reader.GetString(userId);
        if (id != lastUser)
        {
            lastUser = id;
            WriteUser(id);
        }

        csv.Cells(userCells.WrittenSpan);
        csv.Text(Text(groupId));
        csv.Text(Text(groupName));
        if (reader.IsDBNull(memberSince))
        {
            csv.Text("");
        }
        else
        {
            csv.Instant(reader.GetFieldValue<DateTimeOffset>(memberSince), instants.MemberSince);
        }

        if (reader.IsDBNull(viaIds))
        {
            csv.Text("");
            csv.Text("");
        }
        else
        {
            csv.Joined(reader.GetFieldValue<string[]>(viaIds));
            csv.Joined(reader.GetFieldValue<string[]>(viaNames));
        }

        csv.Cells(signInCells.WrittenSpan);
    }

    private void WriteUser(string id)
    {
        userCells.Clear();
        user.Restart();
        user.Text(id);
        user.Text(reader.GetString(userName));
        user.Text(Text(displayName));
        user.Text(Text(primaryEmail));
        user.Joined(reader.GetFieldValue<string[]>(emails));
        user.Text(reader.GetString(status));
        user.Boolean(reader.GetBoolean(active));
        user.Instant(reader.GetFieldValue<DateTimeOffset>(firstSeenAt), instants.FirstSeen);

        signInCells.Clear();
        signIns.Restart();
        if (reader.IsDBNull(knownSince))
        {
            NoSignIns(signIns);
            return;
        }

        Instant(lastSignIn);
        Instant(lastFailed);
        signIns.Text(Text(lastFailedCategory));
        signIns.Number(reader.GetInt32(signInsLast30Days));
        signIns.Number(reader.GetInt32(mfaFailuresLast30Days));
        signIns.Instant(reader.GetFieldValue<DateTimeOffset>(knownSince));
    }

    private void Instant(int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            signIns.Text("");
        }
        else
        {
            signIns.Instant(reader.GetFieldValue<DateTimeOffset>(ordinal));
        }
    }

    private string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
