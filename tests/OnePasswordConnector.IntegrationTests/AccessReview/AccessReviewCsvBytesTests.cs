using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using OnePasswordConnector.TestSupport;
using static OnePasswordConnector.IntegrationTests.AccessReview.ReviewDirectory;

namespace OnePasswordConnector.IntegrationTests.AccessReview;

/// <summary>The exact bytes of a served sheet: the pinned answer any change to how the CSV is written must keep.</summary>
public sealed class AccessReviewCsvBytesTests(SyncApp app) : IClassFixture<SyncApp>
{
    private const string ZoeId = "UEEEEEEEEEEEEEEEEEEEEEEEEE";
    private const string NamelessId = "UFFFFFFFFFFFFFFFFFFFFFFFFF";
    private const string FormulaGroupId = "gccccccccccccccccccccccccc";

    /// <summary>A user the bridge sends with neither a display name nor an email: null cells.</summary>
    private static JsonObject Nameless()
    {
        var user = ScimPayload.User(NamelessId, "nameless@example.org", "No", "Name");
        user.Remove("displayName");
        user.Remove("emails");
        return user;
    }

    [Fact]
    public async Task The_sheet_is_served_byte_for_byte_with_quoting_non_ASCII_null_cells_formula_escapes_and_UTC_instants()
    {
        using var bridge = Bridge(
            [Ada(), Jean(), ScimPayload.User(ZoeId, "zoe@example.org", "Zoë", " Müller 😀"), Nameless()],
            [Owners(AdaId, JeanId), Engineering(JeanId, ZoeId), ScimPayload.Group(FormulaGroupId, "=Admins, \"all\"", AdaId)]);
        var id = await app.RegisterAsync(bridge);
        Assert.Equal("succeeded", (await app.SyncAsync(id)).GetProperty("status").GetString());
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var started = (await app.QueryAsync("SELECT started_at::text FROM sync_runs WHERE connection_id = @c", id)).Single();
        var at = DateTimeOffset.Parse(started, CultureInfo.InvariantCulture).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

        var served = await client.GetByteArrayAsync($"/api/v1/tenants/acme/connections/{id}/access-review?format=csv");

        var expected =
            "userId,userName,displayName,primaryEmail,emails,status,active,firstSeenAt,groupId,groupName,memberSince,viaGroupIds,viaGroupNames,lastSignInAt,lastFailedSignInAt,lastFailedSignInCategory,signInsLast30Days,mfaFailuresLast30Days,signInsKnownSince\r\n" +
            $"{AdaId},ada@example.org,Ada Lovelace,ada@example.org,ada@example.org,active,true,{at},{OwnersId},Owners,{at},,,,,,,,\r\n" +
            $"{AdaId},ada@example.org,Ada Lovelace,ada@example.org,ada@example.org,active,true,{at},{FormulaGroupId},\"'=Admins, \"\"all\"\"\",{at},,,,,,,,\r\n" +
            $"{JeanId},jean@example.org,\"Jean, \"\"JJ\"\" Sammet\",jean@example.org,jean@example.org;jj@example.net,active,true,{at},{OwnersId},Owners,{at},,,,,,,,\r\n" +
            $"{JeanId},jean@example.org,\"Jean, \"\"JJ\"\" Sammet\",jean@example.org,jean@example.org;jj@example.net,active,true,{at},{EngineeringId},Engineering,{at},,,,,,,,\r\n" +
            $"{NamelessId},nameless@example.org,,,,active,true,{at},,,,,,,,,,,\r\n" +
            $"{ZoeId},zoe@example.org,Zoë  Müller 😀,zoe@example.org,zoe@example.org,active,true,{at},{EngineeringId},Engineering,{at},,,,,,,,\r\n";
        Assert.Equal(expected, Encoding.UTF8.GetString(served));
        Assert.Equal(Encoding.UTF8.GetBytes(expected), served);
    }
}
