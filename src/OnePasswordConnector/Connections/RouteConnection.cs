using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Connections;

/// <summary>
/// The connection a <c>/connections/{connectionId}</c> route names, looked up once per request by the filter on that
/// route group (<see cref="ConnectionRoutes.MapConnectionGroup"/>). Endpoints under the group take it as a parameter
/// (it is a scoped service, filled before the handler runs) instead of looking the connection up themselves.
/// </summary>
internal sealed class RouteConnection
{
    private Connection? connection;

    /// <summary>Read without tracking; an endpoint that changes it attaches it to its DbContext.</summary>
    public Connection Value => connection ?? throw new InvalidOperationException("The endpoint is not under the connection route group.");

    public Guid Id => Value.Id;

    internal void Set(Connection found) => connection = found;
}

internal static class ConnectionRoutes
{
    /// <summary>
    /// <c>/connections/{connectionId}</c> under a tenant: every endpoint mapped on the returned group answers 404 for a
    /// connection that does not exist, belongs to another tenant or was deleted, before its handler runs.
    /// </summary>
    public static RouteGroupBuilder MapConnectionGroup(this RouteGroupBuilder tenant)
    {
        var group = tenant.MapGroup("/connections/{connectionId:guid}");
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var tenantId = http.GetRouteValue("tenantId") as string;
            if (!Guid.TryParse(http.GetRouteValue("connectionId") as string, out var connectionId) || tenantId is null)
            {
                return NotFound();
            }

            var db = http.RequestServices.GetRequiredService<ConnectorDbContext>();
            var found = await db.Connections.AsNoTracking()
                .FirstOrDefaultAsync(c => c.TenantId == tenantId && c.Id == connectionId, http.RequestAborted);
            if (found is null)
            {
                return NotFound();
            }

            http.RequestServices.GetRequiredService<RouteConnection>().Set(found);
            return await next(context);
        });
        return group;
    }

    public static ProblemHttpResult NotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such connection for this tenant.");
}
