using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace OnePasswordConnector.Scim;

/// <summary>
/// Connects only to addresses the SSRF policy allows, resolving the name at connect time so that a DNS answer that
/// changed after registration (DNS rebinding) cannot reach an internal address.
/// </summary>
internal sealed class GuardedConnections(IOptionsMonitor<BridgeUrlPolicy> policy)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowPrivate = policy.CurrentValue.AllowPrivateAddresses;
        var allowed = addresses.Where(a => allowPrivate || AddressGuard.IsPublic(a)).ToArray();
        if (allowed.Length == 0)
        {
            var reason = addresses.Length == 0 ? "no address" : $"an internal address ({AddressGuard.Describe(addresses[0])})";
            throw new BlockedAddressException($"The bridge host {host} resolves to {reason}, which is not allowed.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

internal sealed class BlockedAddressException(string message) : Exception(message);
