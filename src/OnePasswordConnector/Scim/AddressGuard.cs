using System.Net;
using System.Net.Sockets;

namespace OnePasswordConnector.Scim;

internal sealed class BridgeUrlPolicy
{
    public const string Section = "BridgeUrlPolicy";

    /// <summary>Accept <c>http://</c> bridge URLs. For local demos and tests only.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Accept bridges on loopback, private, link-local or unspecified addresses. For local demos and tests only.</summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>Decides which addresses a bridge may live at. Checked at registration and again at every connect.</summary>
internal static class AddressGuard
{
    public static bool IsPublic(IPAddress address) => Describe(address) is null;

    /// <summary>Why an address is not public ("loopback", "private", ...), or null when it is.</summary>
    public static string? Describe(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return "loopback";
        }

        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return "unspecified";
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal)
            {
                return "link-local";
            }

            if (address.IsIPv6Multicast)
            {
                return "multicast";
            }

            var bytes6 = address.GetAddressBytes();
            if ((bytes6[0] & 0xFE) == 0xFC)
            {
                return "private";
            }

            // NAT64, the deprecated IPv4-compatible form (::a.b.c.d) and SIIT (::ffff:0:a.b.c.d) carry an IPv4 address
            // in their last four bytes.
            if ((bytes6[0] == 0x00 && bytes6[1] == 0x64 && bytes6[2] == 0xFF && bytes6[3] == 0x9B) || bytes6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0
                || (bytes6.AsSpan(0, 8).IndexOfAnyExcept((byte)0) < 0 && bytes6[8] == 0xFF && bytes6[9] == 0xFF && bytes6[10] == 0 && bytes6[11] == 0))
            {
                return Describe(new IPAddress(bytes6[12..16]));
            }

            // Teredo (2001::/32) tunnels to an obfuscated IPv4 address that cannot be vetted here.
            if (bytes6[0] == 0x20 && bytes6[1] == 0x01 && bytes6[2] == 0x00 && bytes6[3] == 0x00)
            {
                return "tunnelled (Teredo)";
            }

            if (bytes6[0] == 0x20 && bytes6[1] == 0x02)
            {
                return Describe(new IPAddress(bytes6[2..6]));
            }

            return null;
        }

        var b = address.GetAddressBytes();
        return b switch
        {
            [0, ..] => "unspecified",
            [10, ..] => "private",
            [172, >= 16 and <= 31, ..] => "private",
            [192, 168, ..] => "private",
            [100, >= 64 and <= 127, ..] => "private",
            [169, 254, ..] => "link-local",
            [192, 0, 0, ..] => "private",
            [198, 18 or 19, ..] => "private",
            [>= 224, ..] => "multicast or reserved",
            _ => null,
        };
    }
}
