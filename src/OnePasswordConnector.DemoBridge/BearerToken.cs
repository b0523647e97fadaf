using System.Security.Cryptography;
using System.Text;

namespace OnePasswordConnector.DemoBridge;

/// <summary>Checks the <c>Authorization: Bearer</c> header in constant time.</summary>
internal sealed class BearerToken(string expected)
{
    // Comparing hashes keeps the comparison constant-time even when the lengths differ.
    private readonly byte[] expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(expected));

    public bool Accepts(HttpRequest request) =>
        Presented(request) is { } presented
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expectedHash);

    public static string? Presented(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
