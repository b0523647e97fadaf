using OnePasswordConnector.Connections;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Connections;

public sealed class BridgeUrlTests
{
    private static readonly BridgeUrlPolicy Strict = new();
    private static readonly BridgeUrlPolicy Relaxed = new() { AllowHttp = true, AllowPrivateAddresses = true };

    [Theory]
    [InlineData("https://op-scim.example.org")]
    [InlineData("https://op-scim.example.org/")]
    [InlineData("  https://op-scim.example.org/  ")]
    public void A_url_without_a_path_leaves_the_scim_base_to_discovery(string input)
    {
        var url = Parse(input, Strict);

        Assert.Equal("https://op-scim.example.org/", url.Origin.AbsoluteUri);
        Assert.Null(url.ScimBase);
    }

    [Fact]
    public void Discovery_tries_scim_then_scim_v2_then_the_root()
    {
        var url = Parse("https://op-scim.example.org", Strict);

        Assert.Equal(
            ["https://op-scim.example.org/scim", "https://op-scim.example.org/scim/v2", "https://op-scim.example.org/"],
            url.CandidateBases().Select(u => u.AbsoluteUri));
    }

    [Theory]
    [InlineData("https://op-scim.example.org/scim", "https://op-scim.example.org/scim")]
    [InlineData("https://op-scim.example.org/scim/", "https://op-scim.example.org/scim")]
    [InlineData("https://op-scim.example.org/scim/v2//", "https://op-scim.example.org/scim/v2")]
    [InlineData("https://op-scim.example.org:8443/custom/scim", "https://op-scim.example.org:8443/custom/scim")]
    public void A_url_with_a_path_is_the_scim_base_without_its_trailing_slash(string input, string expected)
    {
        var url = Parse(input, Strict);

        Assert.Equal(expected, url.ScimBase?.AbsoluteUri);
        Assert.Equal([expected], url.CandidateBases().Select(u => u.AbsoluteUri));
    }

    [Fact]
    public void The_origin_keeps_scheme_host_and_port_only()
    {
        var url = Parse("https://op-scim.example.org:8443/scim", Strict);

        Assert.Equal("https://op-scim.example.org:8443/", url.Origin.AbsoluteUri);
    }

    [Theory]
    [InlineData("https://OP-SCIM.Example.ORG/scim", "https://op-scim.example.org/scim")]
    [InlineData("HTTPS://Op-Scim.Example.Org", "https://op-scim.example.org/")]
    public void The_scheme_and_host_are_lower_cased(string input, string expected)
    {
        var url = Parse(input, Strict);

        Assert.Equal(expected, (url.ScimBase ?? url.Origin).AbsoluteUri);
    }

    [Theory]
    [InlineData("op-scim.example.org", "https://op-scim.example.org/", null)]
    [InlineData("op-scim.example.org/scim", "https://op-scim.example.org/", "https://op-scim.example.org/scim")]
    [InlineData("op-scim.example.org:8443", "https://op-scim.example.org:8443/", null)]
    public void A_url_without_a_scheme_gets_https(string input, string origin, string? scimBase)
    {
        var url = Parse(input, Strict);

        Assert.Equal(origin, url.Origin.AbsoluteUri);
        Assert.Equal(scimBase, url.ScimBase?.AbsoluteUri);
    }

    [Fact]
    public void Http_is_refused_by_default()
    {
        var error = Refuse("http://op-scim.example.org", Strict);

        Assert.Contains("https", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Http_is_accepted_when_the_policy_allows_it()
    {
        var url = Parse("http://op-scim.example.org/scim", new BridgeUrlPolicy { AllowHttp = true });

        Assert.Equal("http://op-scim.example.org/scim", url.ScimBase?.AbsoluteUri);
    }

    [Theory]
    [InlineData("ftp://op-scim.example.org")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ws://op-scim.example.org")]
    public void Other_schemes_are_refused_even_when_http_is_allowed(string input)
    {
        Refuse(input, Relaxed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a url")]
    [InlineData("https://")]
    public void Missing_or_malformed_urls_are_refused(string? input)
    {
        Refuse(input, Relaxed);
    }

    [Theory]
    [InlineData("https://user:secret@op-scim.example.org")]
    [InlineData("https://user@op-scim.example.org/scim")]
    public void User_info_is_refused(string input)
    {
        var error = Refuse(input, Relaxed);

        Assert.Contains("user name or password", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://op-scim.example.org/scim?token=abc")]
    [InlineData("https://op-scim.example.org/#fragment")]
    [InlineData("https://op-scim.example.org/scim?")]
    public void A_query_or_fragment_is_refused(string input)
    {
        var error = Refuse(input, Relaxed);

        Assert.Contains("query string or fragment", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://127.0.0.1/", "loopback")]
    [InlineData("https://127.1.2.3:8443/scim", "loopback")]
    [InlineData("https://10.0.0.5/", "private")]
    [InlineData("https://172.16.0.1/", "private")]
    [InlineData("https://192.168.1.10/", "private")]
    [InlineData("https://100.64.0.1/", "private")]
    [InlineData("https://169.254.169.254/", "link-local")]
    [InlineData("https://0.0.0.0/", "unspecified")]
    [InlineData("10.0.0.5", "private")]
    public void Private_ipv4_literals_are_refused(string input, string reason)
    {
        var error = Refuse(input, Strict);

        Assert.Contains($"internal address ({reason})", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://2130706433/")]
    [InlineData("https://0x7f000001/")]
    [InlineData("https://0177.0.0.1/")]
    [InlineData("https://127.1/")]
    public void Loopback_in_decimal_hex_octal_or_short_form_is_refused(string input)
    {
        var error = Refuse(input, Strict);

        Assert.Contains("internal address (loopback)", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://[::1]/", "loopback")]
    [InlineData("https://[::ffff:127.0.0.1]/", "loopback")]
    [InlineData("https://[::ffff:10.0.0.1]:8443/scim", "private")]
    [InlineData("https://[fe80::1]/", "link-local")]
    [InlineData("https://[fd00::1]/", "private")]
    [InlineData("https://[::]/", "unspecified")]
    [InlineData("https://[64:ff9b::a00:1]/", "private")]
    [InlineData("https://[2002:a00:1::]/", "private")]
    public void Private_ipv6_literals_are_refused(string input, string reason)
    {
        var error = Refuse(input, Strict);

        Assert.Contains($"internal address ({reason})", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://127.0.0.1:5090/scim")]
    [InlineData("https://10.0.0.5/")]
    [InlineData("https://[::1]/")]
    [InlineData("https://[fd00::1]/")]
    public void Private_literals_are_accepted_when_the_policy_allows_them(string input)
    {
        Parse(input, new BridgeUrlPolicy { AllowPrivateAddresses = true });
    }

    [Theory]
    [InlineData("https://8.8.8.8/scim", "https://8.8.8.8/")]
    [InlineData("https://[2606:4700::1111]/scim", "https://[2606:4700::1111]/")]
    public void Public_ip_literals_are_accepted(string input, string origin)
    {
        var url = Parse(input, Strict);

        Assert.Equal(origin, url.Origin.AbsoluteUri);
    }

    [Fact]
    public void A_host_name_is_accepted_at_parse_time_and_checked_again_at_connect_time()
    {
        // Names are resolved by GuardedConnections on every connect, so "localhost" is refused there, not here.
        var url = Parse("https://localhost/scim", Strict);

        Assert.Equal("https://localhost/", url.Origin.AbsoluteUri);
    }

    [Theory]
    [InlineData("https://provisioning.1password.com/scim/v2")]
    [InlineData("https://provisioning.1password.com/scim/v2/")]
    [InlineData("provisioning.1password.com/scim/v2")]
    public void The_1password_hosted_provisioning_url_is_taken_as_given_and_every_request_goes_under_it(string input)
    {
        var url = Parse(input, Strict);
        var bridge = new BridgeEndpoint(url.ScimBase!, "token");

        Assert.Equal("https://provisioning.1password.com/", url.Origin.AbsoluteUri);
        Assert.Equal(["https://provisioning.1password.com/scim/v2"], url.CandidateBases().Select(u => u.AbsoluteUri));
        Assert.Equal("https://provisioning.1password.com/scim/v2/ServiceProviderConfig", bridge.Resolve("ServiceProviderConfig").AbsoluteUri);
        Assert.Equal("https://provisioning.1password.com/scim/v2/Users?startIndex=1&count=1", bridge.Resolve("Users?startIndex=1&count=1").AbsoluteUri);
        Assert.Equal("https://provisioning.1password.com/scim/v2/Users/U1", bridge.Resolve("Users/U1").AbsoluteUri);
        Assert.Equal("https://provisioning.1password.com/health", new Uri(bridge.Origin, "/health").AbsoluteUri);
    }

    private static BridgeUrl Parse(string input, BridgeUrlPolicy policy)
    {
        var ok = BridgeUrl.TryParse(input, policy, out var url, out var error);

        Assert.True(ok, $"'{input}' should parse, but: {error}");
        Assert.Null(error);
        return url!;
    }

    private static string Refuse(string? input, BridgeUrlPolicy policy)
    {
        var ok = BridgeUrl.TryParse(input, policy, out var url, out var error);

        Assert.False(ok, $"'{input}' should be refused, but parsed as {url?.Origin}");
        Assert.Null(url);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error!;
    }
}
