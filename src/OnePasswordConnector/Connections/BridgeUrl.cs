using System.Net;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Connections;

/// <summary>A bridge URL as an admin pastes it, made canonical and checked against the SSRF policy.</summary>
/// <param name="Origin">Scheme, host and port: where the bridge's <c>/ping</c> and <c>/health</c> live.</param>
/// <param name="ScimBase">The SCIM base given in the URL, or null when the URL had no path and the base must be discovered.</param>
internal sealed record BridgeUrl(Uri Origin, Uri? ScimBase)
{
    /// <summary>The SCIM base paths a 1Password bridge answers on, in the order they are tried.</summary>
    public static readonly string[] CandidateBasePaths = ["/scim", "/scim/v2", ""];

    public const string Subject = "The SCIM bridge URL";
    public const string Required = "The SCIM bridge URL is required.";

    public IEnumerable<Uri> CandidateBases() =>
        ScimBase is not null ? [ScimBase] : CandidateBasePaths.Select(path => new Uri(Origin, path.Length == 0 ? "" : path));

    /// <param name="subject">How errors name the URL: webhooks pass their own URLs through the same rules.</param>
    public static bool TryParse(string? input, BridgeUrlPolicy policy, out BridgeUrl? url, out string? error, string subject = Subject)
    {
        url = null;
        error = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            error = subject == Subject ? Required : $"{subject} is required.";
            return false;
        }

        var text = input.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "https://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            error = $"{subject} is not a valid absolute URL.";
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && policy.AllowHttp))
        {
            error = $"{subject} must use https.";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            error = subject == Subject
                ? "The SCIM bridge URL must not contain a user name or password; send the bearer token separately."
                : $"{subject} must not contain a user name or password.";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = $"{subject} must not contain a query string or fragment.";
            return false;
        }

        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal) && !policy.AllowPrivateAddresses && !AddressGuard.IsPublic(literal))
        {
            error = $"{subject} points at an internal address ({AddressGuard.Describe(literal)}), which is not allowed.";
            return false;
        }

        var origin = new Uri(uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant());
        var path = uri.AbsolutePath.TrimEnd('/');
        url = new BridgeUrl(origin, path.Length == 0 ? null : new Uri(origin, path));
        return true;
    }
}
