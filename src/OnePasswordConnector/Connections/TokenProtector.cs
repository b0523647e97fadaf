using Microsoft.AspNetCore.DataProtection;

namespace OnePasswordConnector.Connections;

/// <summary>
/// Encrypts bearer tokens at rest with ASP.NET Core Data Protection. The key ring lives in PostgreSQL, so every
/// replica can decrypt what any other stored.
/// </summary>
internal sealed class TokenProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("OnePasswordConnector.Connections.BridgeToken.v1");

    public string Protect(string token) => protector.Protect(token);

    public string Unprotect(string protectedToken) => protector.Unprotect(protectedToken);

    /// <summary>The last four characters: enough to tell two tokens apart, too little to guess one.</summary>
    public static string Hint(string token) => token.Length <= 8 ? "…" : "…" + token[^4..];
}
