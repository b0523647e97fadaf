namespace OnePasswordConnector.Scim;

/// <summary>Why a call to a bridge did not give a usable SCIM answer. Machine-readable on the API as <c>failure</c>.</summary>
internal enum BridgeFailure
{
    /// <summary>DNS, TCP or TLS failed: nothing answered at that URL.</summary>
    Unreachable,
    Timeout,

    /// <summary>401 or 403: the bridge rejected the bearer token.</summary>
    Unauthorized,

    /// <summary>Something answered, but not like a SCIM server (404, HTML, JSON of another shape).</summary>
    NotScim,

    /// <summary>The bridge serves Google Workspace and refuses SCIM clients: a second bridge is needed.</summary>
    GoogleWorkspaceMode,

    /// <summary>The URL resolves to an address the SSRF policy forbids.</summary>
    BlockedAddress,
    RateLimited,
    ServerError,

    /// <summary>A SCIM answer that cannot be trusted: malformed JSON, an inconsistent page, a broken enumeration.</summary>
    InvalidResponse,
}

internal static class BridgeFailures
{
    /// <summary>The failure as the API and the metrics name it (<c>google_workspace_mode</c>); null for none.</summary>
    public static string? Code(BridgeFailure? failure) =>
        failure is { } f ? System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(f.ToString()) : null;
}

/// <summary>A failed bridge call. Its message is safe to show and to log: it never contains the token.</summary>
internal sealed class BridgeException(BridgeFailure failure, string message, int? statusCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public BridgeFailure Failure { get; } = failure;
    public int? StatusCode { get; } = statusCode;
    public TimeSpan? RetryAfter { get; init; }
}
