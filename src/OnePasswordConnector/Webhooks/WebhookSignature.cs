using System.Security.Cryptography;
using System.Text;

namespace OnePasswordConnector.Webhooks;

/// <summary>
/// The Standard Webhooks symmetric scheme (standardwebhooks.com, "Signature scheme"): the secret is <c>whsec_</c> and
/// the base64 of random bytes; the signature is <c>v1,</c> and the base64 HMAC-SHA256, keyed with those bytes, of
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>.
/// </summary>
internal static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    /// <summary>32 random bytes: the spec asks for at least 24.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string webhookId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var signed = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(signed);
    }

    /// <summary>The <c>webhook-id</c> of an event: the same for every attempt and redelivery, so a subscriber can drop repeats.</summary>
    public static string WebhookId(long eventId) => $"msg_{eventId}";
}
