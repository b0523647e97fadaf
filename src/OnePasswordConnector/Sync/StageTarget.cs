using Npgsql;
using NpgsqlTypes;

namespace OnePasswordConnector.Sync;

/// <summary>
/// Where rows go: the session's staging tables, or, for a connection's first successful sync (its baseline), straight
/// into the directory tables. Everything in a baseline is new, so no change events are written: the feed starts from it.
/// </summary>
internal sealed record StageTarget(Guid? ConnectionId, DateTimeOffset Stamp)
{
    public static readonly StageTarget Staging = new(null, default);

    public static StageTarget Baseline(Guid connectionId, DateTimeOffset stamp) => new(connectionId, stamp);

    public bool IsBaseline => ConnectionId is not null;

    public async Task StartRowAsync(NpgsqlBinaryImporter writer, CancellationToken cancellationToken)
    {
        await writer.StartRowAsync(cancellationToken);
        if (ConnectionId is { } id)
        {
            await writer.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
        }
    }

    /// <summary>A baseline row is valid from, first seen and last seen at the baseline's instant.</summary>
    public async Task EndRowAsync(NpgsqlBinaryImporter writer, CancellationToken cancellationToken)
    {
        if (IsBaseline)
        {
            await writer.WriteAsync(Stamp, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(Stamp, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(Stamp, NpgsqlDbType.TimestampTz, cancellationToken);
        }
    }
}

internal static class BinaryImporterExtensions
{
    public static Task WriteNullableAsync(this NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    public static Task WriteNullableAsync(this NpgsqlBinaryImporter writer, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } v ? writer.WriteAsync(v.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken) : writer.WriteNullAsync(cancellationToken);

    /// <summary>The columns every user and group row ends with: SCIM metadata, the resource as sent, its content hash.</summary>
    public static async Task WriteResourceAsync<TRaw>(
        this NpgsqlBinaryImporter writer, DateTimeOffset? created, DateTimeOffset? lastModified, TRaw raw, byte[] hash,
        CancellationToken cancellationToken)
    {
        await writer.WriteNullableAsync(created, cancellationToken);
        await writer.WriteNullableAsync(lastModified, cancellationToken);
        await writer.WriteAsync(raw, NpgsqlDbType.Jsonb, cancellationToken);
        await writer.WriteAsync(hash, NpgsqlDbType.Bytea, cancellationToken);
    }
}
