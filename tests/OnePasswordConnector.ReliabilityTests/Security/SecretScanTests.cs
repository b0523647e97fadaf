using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.ReliabilityTests.Security;

public sealed class SecretScanTests
{
    [Fact]
    public void The_scan_finds_a_registered_secret_wherever_it_appears()
    {
        var token = "planted-" + Guid.NewGuid().ToString("N");
        SecretScan.Register(token);

        var hits = SecretScan.Find(["nothing here", $"Authorization: Bearer {token}", $"{{\"detail\":\"{token}\"}}"], "a planted text");

        Assert.Equal(2, hits.Count);
        Assert.All(hits, hit => Assert.DoesNotContain(token, hit, StringComparison.Ordinal));
    }
}
