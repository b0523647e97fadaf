using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class BridgeFailuresTests
{
    [Theory]
    [InlineData("GoogleWorkspaceMode", "google_workspace_mode")]
    [InlineData("Unauthorized", "unauthorized")]
    [InlineData("BlockedAddress", "blocked_address")]
    public void A_bridge_failure_has_one_snake_case_code_for_the_api_and_the_metrics(string failure, string code)
    {
        Assert.Equal(code, BridgeFailures.Code(Enum.Parse<BridgeFailure>(failure)));
    }

    [Fact]
    public void No_failure_has_no_code()
    {
        Assert.Null(BridgeFailures.Code(null));
    }
}
