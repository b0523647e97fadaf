using Microsoft.Extensions.Options;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Connections;

/// <summary>What the endpoints that probe a bridge (register, rotate, test) take from the container, as one parameter.</summary>
internal sealed record BridgeCheck(
    BridgeProbe Probe,
    TokenProtector Tokens,
    IOptionsMonitor<BridgeUrlPolicy> Policy,
    TimeProvider Time,
    ILogger<Connection> Logger);
