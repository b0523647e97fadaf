using System.Security.Claims;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Hosting;

namespace OnePasswordConnector.Audit;

/// <summary>What one audited call did, before it is written.</summary>
internal sealed record AuditRecord(string TenantId, string KeyName, string Action, string Target, int Status);

/// <summary>
/// The connector's own audit trail. Every state-changing call under a tenant (POST, PUT, PATCH, DELETE) is written by
/// <see cref="AuditSetup.UseAuditTrail"/> as its answer starts, named by its endpoint (CreateConnection, RotateConnectionToken,
/// StartSync, CancelSync, CreateReview, DeleteReview, ...); an export writes its own entry first, so the entry's id can
/// go into what it exports. Entries name the API key, never the key, and the target by its path, never a body.
/// </summary>
internal sealed class AuditTrail(NpgsqlDataSource data, TimeProvider time, ILogger<AuditTrail> logger)
{
    private const string Insert = """
        INSERT INTO audit_log (tenant_id, key_name, action, target, outcome, status, occurred_at, trace_id)
        VALUES (@tenant, @key, @action, @target, @outcome, @status, @at, @trace)
        RETURNING id
        """;

    public async Task<long> RecordAsync(AuditRecord record, string traceId, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand(Insert);
        command.Parameters.Add(new NpgsqlParameter("tenant", NpgsqlDbType.Varchar) { Value = record.TenantId });
        command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Varchar) { Value = record.KeyName });
        command.Parameters.Add(new NpgsqlParameter("action", NpgsqlDbType.Varchar) { Value = record.Action });
        command.Parameters.Add(new NpgsqlParameter("target", NpgsqlDbType.Text) { Value = record.Target });
        command.Parameters.Add(new NpgsqlParameter("outcome", NpgsqlDbType.Varchar) { Value = Outcome(record.Status) });
        command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Integer) { Value = record.Status });
        command.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter("trace", NpgsqlDbType.Text) { Value = traceId });
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        logger.LogInformation("Audit {AuditAction} on {AuditTarget} by {KeyName}: {Outcome}", record.Action, record.Target, record.KeyName, Outcome(record.Status));
        return id;
    }

    /// <summary>The caller's key name and tenant, when the key may act for the route's tenant; null otherwise (nothing to record).</summary>
    public static (string KeyName, string TenantId)? Caller(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { } name } && context.GetRouteValue("tenantId") is string tenant
        && context.User.FindFirstValue(ApiKeyAuthentication.TenantClaim) is { } allowed
        && (allowed == ApiKeyAuthentication.AllTenants || allowed == tenant)
            ? (name, tenant)
            : null;

    public static string Outcome(int status) => status switch
    {
        < 400 => "succeeded",
        < 500 => "refused",
        _ => "failed",
    };
}

internal static class AuditSetup
{
    public static IServiceCollection AddAuditTrail(this IServiceCollection services) => services.AddSingleton<AuditTrail>();

    /// <summary>Records every state-changing call under a tenant as its answer starts.</summary>
    public static WebApplication UseAuditTrail(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method)
                || context.GetEndpoint() is not RouteEndpoint endpoint
                || endpoint.RoutePattern.RawText?.StartsWith("/api/v1/tenants/", StringComparison.Ordinal) != true)
            {
                await next(context);
                return;
            }

            // Written as the response starts, so a caller never sees the answer to a call the trail does not yet hold;
            // a call that throws is recorded with the status the exception handler answers.
            context.Response.OnStarting(() => RecordAsync(context, endpoint, context.Response.StatusCode));
            await next(context);
        });
        return app;
    }

    private static async Task RecordAsync(HttpContext context, RouteEndpoint endpoint, int status)
    {
        if (AuditTrail.Caller(context) is not var (keyName, tenantId))
        {
            return;
        }

        var action = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? $"{context.Request.Method} {endpoint.RoutePattern.RawText}";
        var target = status == StatusCodes.Status201Created && context.Response.Headers.Location.ToString() is { Length: > 0 } created
            ? created
            : context.Request.Path.ToString();
        var trail = context.RequestServices.GetRequiredService<AuditTrail>();
        try
        {
            // Not the request's token: an entry for a call that happened is written even when its caller has gone.
            await trail.RecordAsync(new AuditRecord(tenantId, keyName, action, target, status), Problems.TraceId(context),
                context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILogger<AuditTrail>>()
                .LogError(e, "Could not record audit entry {AuditAction} on {AuditTarget} by {KeyName}", action, target, keyName);
        }
    }
}
