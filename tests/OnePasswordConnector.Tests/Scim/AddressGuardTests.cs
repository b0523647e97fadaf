using System.Net;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class AddressGuardTests
{
    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.1")]
    [InlineData("192.168.255.255")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    public void Private_ranges_are_refused(string address)
    {
        AssertRefused(address, "private");
    }

    [Theory]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("11.0.0.1")]
    [InlineData("192.169.0.1")]
    public void Addresses_just_outside_the_private_ranges_are_public(string address)
    {
        AssertPublic(address);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("::1")]
    public void Loopback_is_refused(string address)
    {
        AssertRefused(address, "loopback");
    }

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("fe80::1")]
    [InlineData("febf::1")]
    public void Link_local_including_the_cloud_metadata_address_is_refused(string address)
    {
        AssertRefused(address, "link-local");
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("::")]
    public void Unspecified_addresses_are_refused(string address)
    {
        AssertRefused(address, "unspecified");
    }

    [Theory]
    [InlineData("fc00::1")]
    [InlineData("fd00::1")]
    [InlineData("fdff:ffff::1")]
    public void Unique_local_ipv6_is_refused(string address)
    {
        AssertRefused(address, "private");
    }

    [Theory]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("::ffff:0:127.0.0.1", "loopback")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "tunnelled (Teredo)")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("64:ff9b::a00:1", "private")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("2002:0a00:0001::", "private")]
    [InlineData("2002:7f00:0001::1", "loopback")]
    public void Ipv4_smuggled_in_ipv6_is_judged_by_its_ipv4_part(string address, string reason)
    {
        AssertRefused(address, reason);
    }

    [Theory]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:0808:0808::1")]
    public void Ipv6_forms_of_a_public_ipv4_address_are_public(string address)
    {
        AssertPublic(address);
    }

    [Theory]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("240.0.0.1")]
    [InlineData("ff02::1")]
    public void Multicast_and_reserved_addresses_are_refused(string address)
    {
        Assert.False(AddressGuard.IsPublic(IPAddress.Parse(address)));
        Assert.Contains("multicast", AddressGuard.Describe(IPAddress.Parse(address)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    public void Public_addresses_are_allowed(string address)
    {
        AssertPublic(address);
    }

    private static void AssertRefused(string address, string reason)
    {
        var ip = IPAddress.Parse(address);

        Assert.False(AddressGuard.IsPublic(ip), $"{address} should not count as public");
        Assert.Equal(reason, AddressGuard.Describe(ip));
    }

    private static void AssertPublic(string address)
    {
        var ip = IPAddress.Parse(address);

        Assert.True(AddressGuard.IsPublic(ip), $"{address} should count as public, but is {AddressGuard.Describe(ip)}");
        Assert.Null(AddressGuard.Describe(ip));
    }
}
