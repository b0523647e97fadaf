using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Connections;

/// <summary>The rules a connection request's body is held to, checked before any bridge is probed.</summary>
public sealed class ConnectionRequestRulesTests
{
    private const string Url = "https://op-scim.example.org";
    private const string Token = "ops.Az09-._~+/token==";

    [Fact]
    public void A_registration_without_fields_names_each_missing_field_by_its_json_name()
    {
        var errors = Validate(new CreateConnectionRequest(null, null, null, 5));

        Assert.Equal(["bearerToken", "name", "scimBridgeUrl", "syncIntervalMinutes"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([ConnectionNameAttribute.Message], errors["name"]);
        Assert.Equal([BridgeUrl.Required], errors["scimBridgeUrl"]);
        Assert.Equal([BearerTokenAttribute.Message], errors["bearerToken"]);
        Assert.Equal(["The sync interval must be between 15 and 43200 minutes."], errors["syncIntervalMinutes"]);
    }

    [Fact]
    public void A_complete_registration_passes()
    {
        Assert.Empty(Validate(new CreateConnectionRequest("Acme", Url, Token, 1440)));
        Assert.Empty(Validate(new CreateConnectionRequest("Acme", Url, Token, null)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_blank_name_is_refused_in_a_registration_and_in_an_update(string name)
    {
        Assert.Equal([ConnectionNameAttribute.Message], Validate(new CreateConnectionRequest(name, Url, Token, null))["name"]);
        Assert.Equal([ConnectionNameAttribute.Message], Validate(new UpdateConnectionRequest(name, null, null))["name"]);
    }

    [Fact]
    public void A_name_is_measured_after_trimming()
    {
        Assert.Empty(Validate(new UpdateConnectionRequest("  " + new string('n', 200) + "  ", null, null)));
        Assert.Contains("name", Validate(new UpdateConnectionRequest(new string('n', 201), null, null)).Keys);
    }

    [Fact]
    public void An_update_that_leaves_out_every_field_passes()
    {
        Assert.Empty(Validate(new UpdateConnectionRequest(null, null, null)));
    }

    [Theory]
    [InlineData(14, false)]
    [InlineData(15, true)]
    [InlineData(43200, true)]
    [InlineData(43201, false)]
    public void The_sync_interval_is_15_minutes_to_a_month(int minutes, bool accepted)
    {
        Assert.Equal(accepted, !Validate(new UpdateConnectionRequest(null, minutes, null)).ContainsKey("syncIntervalMinutes"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("tok en-1234")]
    [InlineData("tok\ten-1234")]
    public void A_blank_token_or_one_with_spaces_gets_the_general_message(string token)
    {
        Assert.Equal([BearerTokenAttribute.Message], Validate(new RotateTokenRequest(token))["bearerToken"]);
    }

    [Fact]
    public void A_token_longer_than_8192_characters_is_refused()
    {
        Assert.Null(BearerTokenAttribute.Problem(new string('a', 8192)));
        Assert.Equal(BearerTokenAttribute.Message, BearerTokenAttribute.Problem(new string('a', 8193)));
    }

    [Theory]
    [InlineData("tokén-1234", "a non-ASCII character", 4)]
    [InlineData("tok\u201den-1234", "a non-ASCII character", 4)]
    [InlineData("tok\u200ben-1234", "a non-ASCII character", 4)]
    [InlineData("tok\u0007en-1234", "a control character", 4)]
    [InlineData("tok\u007fen-1234", "a control character", 4)]
    [InlineData("tok\"en-1234", "a character a bearer token cannot hold", 4)]
    [InlineData("to=ken-1234", "a character a bearer token cannot hold", 3)]
    [InlineData("====", "a character a bearer token cannot hold", 1)]
    public void A_token_no_authorization_header_can_carry_is_refused_saying_what_and_where_without_quoting_it(string token, string what, int position)
    {
        var problem = BearerTokenAttribute.Problem(token);

        Assert.NotNull(problem);
        Assert.Contains(what, problem, StringComparison.Ordinal);
        Assert.Contains($"at position {position}.", problem, StringComparison.Ordinal);
        Assert.Contains("RFC 6750", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(token, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ops.Az09-._~+/token==")]
    [InlineData("abc")]
    [InlineData("a=")]
    public void A_token_of_rfc_6750_characters_with_trailing_padding_passes(string token)
    {
        Assert.Null(BearerTokenAttribute.Problem(token));
        Assert.Empty(Validate(new RotateTokenRequest(token)));
    }

    [Fact]
    public void The_bridge_url_is_held_to_the_configured_policy()
    {
        var strict = Validate(new CreateConnectionRequest("Acme", "http://127.0.0.1:8080", Token, null));
        var relaxed = Validate(new CreateConnectionRequest("Acme", "http://127.0.0.1:8080", Token, null),
            new BridgeUrlPolicy { AllowHttp = true, AllowPrivateAddresses = true });

        Assert.Equal(["The SCIM bridge URL must use https."], strict["scimBridgeUrl"]);
        Assert.Empty(relaxed);
    }

    private static Dictionary<string, string[]> Validate(object body, BridgeUrlPolicy? policy = null)
    {
        var services = new ServiceCollection();
        services.AddOptions<BridgeUrlPolicy>().Configure(p =>
        {
            p.AllowHttp = policy?.AllowHttp ?? false;
            p.AllowPrivateAddresses = policy?.AllowPrivateAddresses ?? false;
        });
        using var provider = services.BuildServiceProvider();
        var errors = new Dictionary<string, string[]>();
        BodyValidation.Collect(body, provider, JsonNamingPolicy.CamelCase, errors);
        return errors;
    }
}
