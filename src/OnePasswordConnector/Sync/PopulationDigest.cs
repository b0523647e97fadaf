using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

/// <summary>
/// SHA-256 over the stored directory in a canonical form that anyone can rebuild from the stored rows (docs/api.md,
/// "The population digest"): one line per current user, then per current group, then per current membership, each a
/// compact JSON array, sorted by the UTF-8 bytes of its ids. Rows stream from PostgreSQL into the hash one at a time,
/// so the directory is never held in memory.
/// </summary>
internal static class PopulationDigest
{
    // COLLATE "C" sorts by bytes, the order the docs promise, whatever the database's default collation is.
    private const string Users = """
        SELECT scim_id, user_name, external_id, given_name, family_name, formatted_name, display_name, primary_email, emails, active, state
        FROM directory_users WHERE connection_id = @c AND removed_at IS NULL ORDER BY scim_id COLLATE "C"
        """;

    private const string Groups = """
        SELECT scim_id, display_name, external_id
        FROM directory_groups WHERE connection_id = @c AND removed_at IS NULL ORDER BY scim_id COLLATE "C"
        """;

    private const string Memberships = """
        SELECT group_id, member_id, member_type
        FROM memberships WHERE connection_id = @c AND removed_at IS NULL ORDER BY group_id COLLATE "C", member_id COLLATE "C"
        """;

    private const string LastSucceeded = """
        SELECT completeness->>'populationDigest' FROM sync_runs
        WHERE connection_id = @c AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1
        """;

    /// <summary>
    /// The digest after a merge: a merge that changed no user, group or membership leaves the population as the last
    /// succeeded run stored it, so that run's digest is this one's, and an unchanged re-sync need not read the whole
    /// directory back.
    /// </summary>
    public static async Task<string> AfterMergeAsync(NpgsqlConnection session, Guid connectionId, SyncCounts counts, CancellationToken cancellationToken)
    {
        if (counts is { UsersAdded: 0, UsersChanged: 0, UsersRemoved: 0, GroupsAdded: 0, GroupsChanged: 0, GroupsRemoved: 0, MembershipsAdded: 0, MembershipsRemoved: 0, ChangeEvents: 0 })
        {
            await using var command = new NpgsqlCommand(LastSucceeded, session);
            command.Parameters.AddWithValue("c", connectionId);
            if (await command.ExecuteScalarAsync(cancellationToken) is string { Length: 64 } last)
            {
                return last;
            }
        }

        return await ComputeAsync(session, connectionId, cancellationToken);
    }

    /// <summary>The digest as 64 lowercase hex digits.</summary>
    public static async Task<string> ComputeAsync(NpgsqlConnection session, Guid connectionId, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new CanonicalLine();
        await ReadAsync(session, Users, connectionId, hash, line, static (reader, line) =>
        {
            line.Start("user");
            for (var i = 0; i < 8; i++)
            {
                line.String(reader.IsDBNull(i) ? null : reader.GetString(i));
            }

            line.Strings(reader.GetFieldValue<string[]>(8));
            line.Boolean(reader.GetBoolean(9));
            line.String(reader.IsDBNull(10) ? null : reader.GetString(10));
        }, cancellationToken);
        await ReadAsync(session, Groups, connectionId, hash, line, static (reader, line) =>
        {
            line.Start("group");
            line.String(reader.GetString(0));
            line.String(reader.GetString(1));
            line.String(reader.IsDBNull(2) ? null : reader.GetString(2));
        }, cancellationToken);
        await ReadAsync(session, Memberships, connectionId, hash, line, static (reader, line) =>
        {
            line.Start("member");
            line.String(reader.GetString(0));
            line.String(reader.GetString(1));
            line.String(reader.GetString(2));
        }, cancellationToken);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task ReadAsync(
        NpgsqlConnection session, string sql, Guid connectionId, IncrementalHash hash, CanonicalLine line,
        Action<NpgsqlDataReader, CanonicalLine> write, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, session);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        // Lines are hashed in chunks of about 64 KiB: one call into the hash per line costs more than the line.
        var chunk = new ArrayBufferWriter<byte>(ChunkBytes + 4096);
        while (await reader.ReadAsync(cancellationToken))
        {
            write(reader, line);
            chunk.Write(line.End());
            if (chunk.WrittenCount >= ChunkBytes)
            {
                hash.AppendData(chunk.WrittenSpan);
                chunk.ResetWrittenCount();
            }
        }

        hash.AppendData(chunk.WrittenSpan);
    }

    private const int ChunkBytes = 64 * 1024;
}

/// <summary>
/// One line of the canonical form: a JSON array of strings, nulls, booleans and arrays of strings, without spaces,
/// ended by a line feed. Strings escape only what JSON requires (RFC 8785 §3.2.2.2, as JavaScript's JSON.stringify
/// and Python's json.dumps(ensure_ascii=False) write them), so the same row gives the same bytes in any language.
/// </summary>
internal sealed class CanonicalLine
{
    private static readonly SearchValues<char> Escaped = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    private readonly ArrayBufferWriter<byte> buffer = new(512);
    private bool first;

    public void Start(string kind)
    {
        buffer.ResetWrittenCount();
        Raw("[");
        first = true;
        String(kind);
    }

    public void String(string? value)
    {
        Separator();
        if (value is null)
        {
            Raw("null");
            return;
        }

        Raw("\"");
        if (value.AsSpan().IndexOfAny(Escaped) < 0)
        {
            Raw(value);
            Raw("\"");
            return;
        }

        var run = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var escape = value[i] switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' and var c => $"\\u{(int)c:x4}",
                _ => null,
            };
            if (escape is null)
            {
                continue;
            }

            Raw(value.AsSpan(run, i - run));
            Raw(escape);
            run = i + 1;
        }

        Raw(value.AsSpan(run));
        Raw("\"");
    }

    public void Strings(string[] values)
    {
        Separator();
        Raw("[");
        first = true;
        foreach (var value in values)
        {
            String(value);
        }

        Raw("]");
        first = false;
    }

    public void Boolean(bool value)
    {
        Separator();
        Raw(value ? "true" : "false");
    }

    /// <summary>The finished line's UTF-8 bytes, valid until the next <see cref="Start"/>.</summary>
    public ReadOnlySpan<byte> End()
    {
        Raw("]\n");
        return buffer.WrittenSpan;
    }

    private void Separator()
    {
        if (!first)
        {
            Raw(",");
        }

        first = false;
    }

    private void Raw(ReadOnlySpan<char> text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
