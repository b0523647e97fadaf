using System.Text.Json.Nodes;

namespace OnePasswordConnector.DemoBridge;

/// <summary>
/// The discovery documents (RFC 7644 §4). Like the real bridge, only the core User and Group schemas are listed:
/// no 1Password extension schema has been seen.
/// </summary>
internal static class ScimDiscovery
{
    public static JsonObject ServiceProviderConfig(string scimBase, DemoBridgeOptions options)
    {
        var config = ServiceProviderConfig(scimBase);
        if (options.Paging == DemoPaging.Cursor)
        {
            // RFC 9865 §5. The real bridge announces nothing here: it pages by startIndex only.
            config["pagination"] = new JsonObject
            {
                ["cursor"] = true,
                ["index"] = true,
                ["defaultPaginationMethod"] = "cursor",
                ["defaultPageSize"] = options.DefaultPageSize,
                ["maxPageSize"] = options.MaxPageSize,
                ["cursorTimeout"] = 3600,
            };
        }

        return config;
    }

    private static JsonObject ServiceProviderConfig(string scimBase) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"),
        ["documentationUri"] = "https://support.1password.com/scim/",
        ["patch"] = Supported(true),
        ["bulk"] = new JsonObject { ["supported"] = false, ["maxOperations"] = 0, ["maxPayloadSize"] = 0 },
        ["filter"] = new JsonObject { ["supported"] = true, ["maxResults"] = 10000 },
        ["changePassword"] = Supported(false),
        ["sort"] = Supported(false),
        ["etag"] = Supported(false),
        ["authenticationSchemes"] = new JsonArray(new JsonObject
        {
            ["type"] = "oauthbearertoken",
            ["name"] = "OAuth Bearer Token",
            ["description"] = "Authentication scheme using the OAuth Bearer Token Standard",
            ["specUri"] = "https://www.rfc-editor.org/info/rfc6750",
            ["primary"] = true,
        }),
        ["meta"] = Meta("ServiceProviderConfig", $"{scimBase}/ServiceProviderConfig"),
    };

    public static JsonObject ResourceTypes(string scimBase) => List(
        ResourceType("User", "/Users", "User Account", ScimJson.UserSchema, scimBase),
        ResourceType("Group", "/Groups", "Group", ScimJson.GroupSchema, scimBase));

    public static JsonObject Schemas(string scimBase) => List(
        Schema(ScimJson.UserSchema, "User", "User Account", scimBase,
            Attribute("userName", required: true, uniqueness: "server"),
            Attribute("name", "complex", subAttributes:
            [
                Attribute("formatted"),
                Attribute("familyName"),
                Attribute("givenName"),
            ]),
            Attribute("displayName"),
            Attribute("emails", "complex", multiValued: true, subAttributes:
            [
                Attribute("value"),
                Attribute("type"),
                Attribute("primary", "boolean"),
            ]),
            Attribute("active", "boolean")),
        Schema(ScimJson.GroupSchema, "Group", "Group", scimBase,
            Attribute("displayName", required: true),
            Attribute("members", "complex", multiValued: true, subAttributes:
            [
                Attribute("value", mutability: "immutable"),
                Attribute("display", mutability: "readOnly"),
                Attribute("type", mutability: "immutable"),
            ])));

    private static JsonObject List(params JsonObject[] resources) => new()
    {
        ["schemas"] = new JsonArray(ScimJson.ListResponseSchema),
        ["totalResults"] = resources.Length,
        ["startIndex"] = 1,
        ["itemsPerPage"] = resources.Length,
        ["Resources"] = new JsonArray(resources),
    };

    private static JsonObject ResourceType(string id, string endpoint, string description, string schema, string scimBase) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:ResourceType"),
        ["id"] = id,
        ["name"] = id,
        ["endpoint"] = endpoint,
        ["description"] = description,
        ["schema"] = schema,
        ["meta"] = Meta("ResourceType", $"{scimBase}/ResourceTypes/{id}"),
    };

    private static JsonObject Schema(string id, string name, string description, string scimBase, params JsonObject[] attributes) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Schema"),
        ["id"] = id,
        ["name"] = name,
        ["description"] = description,
        ["attributes"] = new JsonArray(attributes),
        ["meta"] = Meta("Schema", $"{scimBase}/Schemas/{id}"),
    };

    private static JsonObject Attribute(string name, string type = "string", bool multiValued = false, bool required = false,
        string mutability = "readWrite", string uniqueness = "none", JsonObject[]? subAttributes = null)
    {
        var attribute = new JsonObject
        {
            ["name"] = name,
            ["type"] = type,
            ["multiValued"] = multiValued,
            ["required"] = required,
            ["caseExact"] = false,
            ["mutability"] = mutability,
            ["returned"] = "default",
            ["uniqueness"] = uniqueness,
        };
        if (subAttributes is not null)
        {
            attribute["subAttributes"] = new JsonArray(subAttributes);
        }

        return attribute;
    }

    private static JsonObject Supported(bool supported) => new() { ["supported"] = supported };

    private static JsonObject Meta(string resourceType, string location) => new()
    {
        ["resourceType"] = resourceType,
        ["location"] = location,
    };
}
