using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Webhooks;

/// <summary>Subscribe an endpoint to events.</summary>
/// <param name="Url" example="https://compliance.example.org/hooks/1password">Where events are posted. https, no query string, no internal address (the same rules as bridge URLs).</param>
/// <param name="Events" example="[&quot;access.privileged_granted&quot;, &quot;user.left&quot;]">The event types to send: access.privileged_granted, access.privileged_revoked, user.joined, user.left, user.deactivated, sync.failed, sync.recovered, connection.stale, connection.token_rejected.</param>
/// <param name="Description" example="Access-review alerts">A label for people, at most 500 characters.</param>
public sealed record CreateWebhookRequest(
    [property: Required(AllowEmptyStrings = true, ErrorMessage = WebhookUrlAttribute.Required), WebhookUrl] string? Url,
    [property: Required(ErrorMessage = WebhookEventsAttribute.Message), WebhookEvents] string[]? Events,
    [property: StringLength(500, ErrorMessage = WebhookEventsAttribute.DescriptionMessage)] string? Description);

/// <summary>Change a subscription. Omitted fields stay as they are.</summary>
/// <param name="Events" example="[&quot;access.privileged_granted&quot;]">The event types to send from now on.</param>
/// <param name="Enabled" example="true">False stops deliveries (they wait); true resumes them and clears the reason the service disabled it for.</param>
/// <param name="Description" example="Access-review alerts (EU)">A new label.</param>
public sealed record UpdateWebhookRequest(
    [property: WebhookEvents] string[]? Events,
    bool? Enabled,
    [property: StringLength(500, ErrorMessage = WebhookEventsAttribute.DescriptionMessage)] string? Description);

/// <summary>A webhook subscription. Its signing secret is never shown again after it is made or rotated.</summary>
/// <param name="DisabledReason">Why the service disabled it (an endpoint that kept failing, or answered 410 Gone); null otherwise.</param>
public sealed record WebhookResponse(
    Guid Id, string TenantId, string Url, string? Description, string[] Events, bool Enabled, string? DisabledReason,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A new subscription, with its signing secret: store it now, it is not shown again.</summary>
/// <param name="SigningSecret">The Standard Webhooks secret (<c>whsec_</c> and base64) that signs every delivery.</param>
public sealed record CreatedWebhookResponse(
    Guid Id, string TenantId, string Url, string? Description, string[] Events, bool Enabled, string? DisabledReason,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string SigningSecret);

/// <summary>The new signing secret; deliveries from now on are signed with it alone.</summary>
/// <param name="SigningSecret">The Standard Webhooks secret (<c>whsec_</c> and base64).</param>
public sealed record WebhookSecretResponse(string SigningSecret);

public enum WebhookDeliveryStatus
{
    Pending,
    Succeeded,
    Failed,
}

/// <summary>One event on its way to the subscription, with every attempt made.</summary>
/// <param name="EventId">The event; its webhook-id header is msg_ and this number, the same on every attempt.</param>
/// <param name="NextAttemptAt">When it is tried next, while pending.</param>
public sealed record WebhookDeliveryResponse(
    Guid Id, long EventId, string EventType, Guid ConnectionId, WebhookDeliveryStatus Status, int AttemptCount,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, WebhookAttemptResponse[] Attempts);

/// <summary>One HTTP attempt.</summary>
/// <param name="StatusCode">The endpoint's status code; null when it did not answer.</param>
/// <param name="Error">Why the attempt failed; null for a 2xx. The endpoint's response body is never kept.</param>
public sealed record WebhookAttemptResponse(DateTimeOffset AttemptedAt, int? StatusCode, string? Error, int DurationMs);

/// <summary>A webhook URL that <see cref="BridgeUrl.TryParse"/> accepts under the current <see cref="BridgeUrlPolicy"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class WebhookUrlAttribute : ValidationAttribute
{
    public const string Required = "The webhook URL is required.";
    public const string Subject = "The webhook URL";

    public override bool RequiresValidationContext => true;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var policy = validationContext.GetRequiredService<IOptionsMonitor<BridgeUrlPolicy>>().CurrentValue;
        return Parse(value as string, policy, out _, out var error)
            ? ValidationResult.Success
            : new ValidationResult(error, validationContext.MemberName is { } name ? [name] : []);
    }

    /// <summary>The URL as it is stored and posted to: absolute, with the https scheme it defaults to.</summary>
    public static bool Parse(string? input, BridgeUrlPolicy policy, out Uri? url, out string? error)
    {
        url = null;
        if (input is { Length: > 2048 })
        {
            error = "The webhook URL must be at most 2048 characters.";
            return false;
        }

        if (!BridgeUrl.TryParse(input, policy, out _, out error, Subject))
        {
            return false;
        }

        var text = input!.Trim();
        url = new Uri(text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text);
        return true;
    }
}

/// <summary>At least one event type, each one the service sends. Null passes: pair with <see cref="RequiredAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class WebhookEventsAttribute : ValidationAttribute
{
    public const string Message = "Give at least one event type.";
    public const string DescriptionMessage = "The description must be at most 500 characters.";

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        string[] member = validationContext.MemberName is { } name ? [name] : [];
        if (value is not string[] events)
        {
            return ValidationResult.Success;
        }

        if (events.Length == 0)
        {
            return new ValidationResult(Message, member);
        }

        var unknown = Array.FindIndex(events, e => !WebhookEventTypes.All.Contains(e, StringComparer.Ordinal));
        return unknown < 0
            ? ValidationResult.Success
            : new ValidationResult($"Event {unknown + 1} is not an event type. The types are: {string.Join(", ", WebhookEventTypes.All)}.", member);
    }
}
