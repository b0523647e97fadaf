using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Webhooks;

internal static class WebhooksApi
{
    public const int DefaultDeliveryLimit = 50;
    public const int MaxDeliveryLimit = 200;

    private static readonly JsonSerializerOptions AttemptJson = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder tenant)
    {
        var group = tenant.MapGroup("/webhooks").WithTags("Webhooks").ValidateBodies();
        group.MapPost("/", Create).WithName("CreateWebhook")
            .WithSummary("Subscribe an endpoint to events")
            .WithDescription("Answers with the signing secret, once. Every delivery carries the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature.");
        group.MapGet("/", List).WithName("ListWebhooks").WithSummary("List the tenant's webhook subscriptions");
        group.MapGet("/{webhookId:guid}", Get).WithName("GetWebhook").WithSummary("Get one webhook subscription");
        group.MapPatch("/{webhookId:guid}", Update).WithName("UpdateWebhook").WithSummary("Change the events of a subscription, or disable or enable it")
            .ProducesValidationProblem();
        group.MapDelete("/{webhookId:guid}", Delete).WithName("DeleteWebhook").WithSummary("Delete a subscription and its pending deliveries");
        group.MapPost("/{webhookId:guid}/secret", RotateSecret).WithName("RotateWebhookSecret")
            .WithSummary("Rotate the signing secret").WithDescription("Answers with the new secret, once; every attempt from now on is signed with it alone.");
        group.MapGet("/{webhookId:guid}/deliveries", Deliveries).WithName("ListWebhookDeliveries")
            .WithSummary("List a subscription's deliveries, newest first, with every attempt");
        group.MapPost("/{webhookId:guid}/deliveries/{deliveryId:guid}/redeliver", Redeliver).WithName("RedeliverWebhook")
            .WithSummary("Send a delivery's event again")
            .WithDescription("Queues a new delivery of the same event (the same webhook-id) for the next poll. 409 while the subscription is disabled.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    internal static async Task<Results<Created<CreatedWebhookResponse>, ValidationProblem>> Create(
        string tenantId, CreateWebhookRequest request, ConnectorDbContext db, WebhookSecrets secrets, IOptionsMonitor<BridgeUrlPolicy> policy,
        TimeProvider time, ILogger<WebhookSubscription> logger, CancellationToken cancellationToken)
    {
        // The validation filter checked the URL already; only a policy reloaded since then gets this far with a bad one.
        if (!WebhookUrlAttribute.Parse(request.Url, policy.CurrentValue, out var url, out var error))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["url"] = [error!] });
        }

        var now = PostgresTime.Microseconds(time.GetUtcNow());
        var secret = WebhookSignature.NewSecret();
        var subscription = new WebhookSubscription
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Url = url!.AbsoluteUri,
            Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim(),
            Events = [.. request.Events!.Distinct(StringComparer.Ordinal)],
            ProtectedSecret = secrets.Protect(secret),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.WebhookSubscriptions.Add(subscription);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Subscribed webhook {WebhookId} of tenant {TenantId} to {Events}", subscription.Id, tenantId, subscription.Events);
        var r = ToResponse(subscription);
        return TypedResults.Created($"/api/v1/tenants/{tenantId}/webhooks/{subscription.Id}",
            new CreatedWebhookResponse(r.Id, r.TenantId, r.Url, r.Description, r.Events, r.Enabled, r.DisabledReason, r.CreatedAt, r.UpdatedAt, secret));
    }

    internal static async Task<Ok<WebhookResponse[]>> List(string tenantId, ConnectorDbContext db, CancellationToken cancellationToken)
    {
        var subscriptions = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.TenantId == tenantId)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(subscriptions.Select(ToResponse).ToArray());
    }

    internal static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Get(
        string tenantId, Guid webhookId, ConnectorDbContext db, CancellationToken cancellationToken) =>
        await FindAsync(db, tenantId, webhookId, cancellationToken) is { } found ? TypedResults.Ok(ToResponse(found)) : NotFound();

    internal static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Update(
        string tenantId, Guid webhookId, UpdateWebhookRequest request, ConnectorDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await FindAsync(db, tenantId, webhookId, cancellationToken, tracked: true) is not { } subscription)
        {
            return NotFound();
        }

        if (request.Events is { } events)
        {
            subscription.Events = [.. events.Distinct(StringComparer.Ordinal)];
        }

        if (request.Description is { } description)
        {
            subscription.Description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        }

        if (request.Enabled is { } enabled)
        {
            subscription.Enabled = enabled;
            subscription.DisabledReason = null;
        }

        subscription.UpdatedAt = PostgresTime.Microseconds(time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ToResponse(subscription));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string tenantId, Guid webhookId, ConnectorDbContext db, ILogger<WebhookSubscription> logger, CancellationToken cancellationToken)
    {
        var deleted = await db.WebhookSubscriptions.Where(s => s.TenantId == tenantId && s.Id == webhookId).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return NotFound();
        }

        logger.LogInformation("Deleted webhook {WebhookId} of tenant {TenantId}", webhookId, tenantId);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<WebhookSecretResponse>, ProblemHttpResult>> RotateSecret(
        string tenantId, Guid webhookId, ConnectorDbContext db, WebhookSecrets secrets, TimeProvider time,
        ILogger<WebhookSubscription> logger, CancellationToken cancellationToken)
    {
        if (await FindAsync(db, tenantId, webhookId, cancellationToken, tracked: true) is not { } subscription)
        {
            return NotFound();
        }

        var secret = WebhookSignature.NewSecret();
        subscription.ProtectedSecret = secrets.Protect(secret);
        subscription.UpdatedAt = PostgresTime.Microseconds(time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Rotated the signing secret of webhook {WebhookId}", webhookId);
        return TypedResults.Ok(new WebhookSecretResponse(secret));
    }

    /// <param name="limit" example="50">How many deliveries, newest first (1 to 200, default 50).</param>
    internal static async Task<Results<Ok<WebhookDeliveryResponse[]>, ProblemHttpResult, ValidationProblem>> Deliveries(
        string tenantId, Guid webhookId, ConnectorDbContext db, NpgsqlDataSource data, CancellationToken cancellationToken, int? limit = null)
    {
        if (limit is < 1 or > MaxDeliveryLimit)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"The limit must be between 1 and {MaxDeliveryLimit}."] });
        }

        if (await FindAsync(db, tenantId, webhookId, cancellationToken) is null)
        {
            return NotFound();
        }

        await using var command = data.CreateCommand(WebhookSql.ListDeliveries);
        command.Parameters.AddWithValue("s", webhookId);
        command.Parameters.AddWithValue("limit", limit ?? DefaultDeliveryLimit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deliveries = new List<WebhookDeliveryResponse>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var status = Enum.Parse<WebhookDeliveryStatus>(reader.GetString(4), ignoreCase: true);
            deliveries.Add(new WebhookDeliveryResponse(
                reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2), reader.GetGuid(3), status, reader.GetInt32(5),
                status == WebhookDeliveryStatus.Pending ? reader.GetFieldValue<DateTimeOffset>(6) : null,
                reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                JsonSerializer.Deserialize<WebhookAttemptResponse[]>(reader.GetString(9), AttemptJson)!));
        }

        return TypedResults.Ok(deliveries.ToArray());
    }

    internal static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> Redeliver(
        string tenantId, Guid webhookId, Guid deliveryId, ConnectorDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await FindAsync(db, tenantId, webhookId, cancellationToken) is not { } subscription)
        {
            return NotFound();
        }

        var original = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deliveryId && d.SubscriptionId == webhookId, cancellationToken);
        if (original is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such delivery for this webhook.");
        }

        if (!subscription.Enabled)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The webhook is disabled",
                detail: "Enable the webhook (PATCH with \"enabled\": true) before redelivering: nothing is sent to a disabled webhook.");
        }

        var now = PostgresTime.Microseconds(time.GetUtcNow());
        var again = new WebhookDelivery
        {
            Id = Guid.CreateVersion7(now),
            SubscriptionId = webhookId,
            EventId = original.EventId,
            ConnectionId = original.ConnectionId,
            Status = "pending",
            NextAttemptAt = now,
            CreatedAt = now,
        };
        db.WebhookDeliveries.Add(again);
        await db.SaveChangesAsync(cancellationToken);
        var type = await db.Set<WebhookEvent>().Where(e => e.Id == original.EventId).Select(e => e.Type).FirstAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries",
            new WebhookDeliveryResponse(again.Id, again.EventId, type, again.ConnectionId, WebhookDeliveryStatus.Pending, 0, now, now, null, []));
    }

    private static Task<WebhookSubscription?> FindAsync(
        ConnectorDbContext db, string tenantId, Guid webhookId, CancellationToken cancellationToken, bool tracked = false) =>
        (tracked ? db.WebhookSubscriptions : db.WebhookSubscriptions.AsNoTracking())
            .FirstOrDefaultAsync(s => s.TenantId == tenantId && s.Id == webhookId, cancellationToken);

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such webhook for this tenant.");

    internal static WebhookResponse ToResponse(WebhookSubscription s) =>
        new(s.Id, s.TenantId, s.Url, s.Description, s.Events, s.Enabled, s.DisabledReason, s.CreatedAt, s.UpdatedAt);
}
