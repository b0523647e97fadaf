using System.Globalization;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnePasswordConnector.DemoBridge;

/// <summary>
/// A JSON response written straight to the body. A page of 1,000 users or a group of 100,000 members is never built
/// in memory: it is flushed every 64 KB, so Kestrel sends while the next resources are written.
/// </summary>
internal sealed class ScimStream : IAsyncDisposable
{
    private const int FlushEvery = 64 * 1024;

    // Names such as "Zoë" go out as UTF-8, not \u escapes, as most real servers send them.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly PipeWriter body;
    private readonly CancellationToken cancellationToken;
    private long flushedAt;

    private ScimStream(HttpResponse response)
    {
        body = response.BodyWriter;
        cancellationToken = response.HttpContext.RequestAborted;
        Json = new Utf8JsonWriter(body, WriterOptions);
    }

    public Utf8JsonWriter Json { get; }

    public static ScimStream Start(HttpResponse response, int statusCode, string contentType = ScimJson.ContentType)
    {
        response.StatusCode = statusCode;
        response.ContentType = contentType;
        return new ScimStream(response);
    }

    public static async Task WriteAsync(HttpResponse response, int statusCode, JsonNode document, string contentType = ScimJson.ContentType)
    {
        await using var stream = Start(response, statusCode, contentType);
        document.WriteTo(stream.Json);
    }

    public async ValueTask FlushIfFullAsync()
    {
        var written = Json.BytesCommitted + Json.BytesPending;
        if (written - flushedAt >= FlushEvery)
        {
            Json.Flush();
            flushedAt = written;
            await body.FlushAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Json.DisposeAsync();
        await body.FlushAsync(cancellationToken);
    }
}

/// <summary>SCIM resources and messages (RFC 7643 §4, RFC 7644 §3.4.2 and §3.12) as 1Password's bridge shapes them.</summary>
internal static class ScimJson
{
    public const string ContentType = "application/scim+json";
    public const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string GroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
    public const string ListResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    public const string ErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";

    private static readonly JsonEncodedText Schemas = JsonEncodedText.Encode("schemas");
    private static readonly JsonEncodedText UserSchemaValue = JsonEncodedText.Encode(UserSchema);
    private static readonly JsonEncodedText GroupSchemaValue = JsonEncodedText.Encode(GroupSchema);
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText UserName = JsonEncodedText.Encode("userName");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText GivenName = JsonEncodedText.Encode("givenName");
    private static readonly JsonEncodedText FamilyName = JsonEncodedText.Encode("familyName");
    private static readonly JsonEncodedText Formatted = JsonEncodedText.Encode("formatted");
    private static readonly JsonEncodedText DisplayName = JsonEncodedText.Encode("displayName");
    private static readonly JsonEncodedText Emails = JsonEncodedText.Encode("emails");
    private static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText Work = JsonEncodedText.Encode("work");
    private static readonly JsonEncodedText Primary = JsonEncodedText.Encode("primary");
    private static readonly JsonEncodedText Active = JsonEncodedText.Encode("active");
    private static readonly JsonEncodedText Members = JsonEncodedText.Encode("members");
    private static readonly JsonEncodedText Display = JsonEncodedText.Encode("display");
    private static readonly JsonEncodedText User = JsonEncodedText.Encode("User");
    private static readonly JsonEncodedText Group = JsonEncodedText.Encode("Group");
    private static readonly JsonEncodedText Meta = JsonEncodedText.Encode("meta");
    private static readonly JsonEncodedText ResourceType = JsonEncodedText.Encode("resourceType");
    private static readonly JsonEncodedText Created = JsonEncodedText.Encode("created");
    private static readonly JsonEncodedText LastModified = JsonEncodedText.Encode("lastModified");
    private static readonly JsonEncodedText Location = JsonEncodedText.Encode("location");

    /// <summary>Opens a ListResponse: with a <c>startIndex</c> when paged by offset, a <c>nextCursor</c> (unless last) by cursor.</summary>
    public static void WriteListStart(Utf8JsonWriter json, int totalResults, int? startIndex, int itemsPerPage, string? nextCursor = null)
    {
        json.WriteStartObject();
        json.WriteStartArray(Schemas);
        json.WriteStringValue(ListResponseSchema);
        json.WriteEndArray();
        json.WriteNumber("totalResults", totalResults);
        if (startIndex is { } start)
        {
            json.WriteNumber("startIndex", start);
        }

        json.WriteNumber("itemsPerPage", itemsPerPage);
        if (nextCursor is not null)
        {
            json.WriteString("nextCursor", nextCursor);
        }

        json.WriteStartArray("Resources");
    }

    public static void WriteListEnd(Utf8JsonWriter json)
    {
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteResourceStart(Utf8JsonWriter json, JsonEncodedText schema, string id)
    {
        json.WriteStartObject();
        json.WriteStartArray(Schemas);
        json.WriteStringValue(schema);
        json.WriteEndArray();
        json.WriteString(Id, id);
    }

    public static void WriteUser(Utf8JsonWriter json, DemoUser user, string scimBase)
    {
        WriteResourceStart(json, UserSchemaValue, user.Id);
        json.WriteString(UserName, user.UserName);
        json.WriteStartObject(Name);
        json.WriteString(GivenName, user.GivenName);
        json.WriteString(FamilyName, user.FamilyName);
        json.WriteString(Formatted, user.DisplayName);
        json.WriteEndObject();
        json.WriteString(DisplayName, user.DisplayName);
        json.WriteStartArray(Emails);
        json.WriteStartObject();
        json.WriteString(Value, user.Email);
        json.WriteString(Type, Work);
        json.WriteBoolean(Primary, true);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteBoolean(Active, user.Active);
        WriteMeta(json, User, user.Created, user.LastModified, $"{scimBase}/Users/{user.Id}");
        json.WriteEndObject();
    }

    public static async ValueTask WriteGroupAsync(ScimStream stream, DemoGroup group, DirectorySnapshot snapshot, bool withMembers, string scimBase)
    {
        var json = stream.Json;
        WriteResourceStart(json, GroupSchemaValue, group.Id);
        json.WriteString(DisplayName, group.DisplayName);
        if (withMembers)
        {
            json.WriteStartArray(Members);
            foreach (var userId in group.MemberIds)
            {
                json.WriteStartObject();
                json.WriteString(Value, userId);
                if (snapshot.UserById.TryGetValue(userId, out var user))
                {
                    json.WriteString(Display, user.DisplayName);
                }

                json.WriteString(Type, User);
                json.WriteEndObject();
                await stream.FlushIfFullAsync();
            }

            json.WriteEndArray();
        }

        WriteMeta(json, Group, group.Created, group.LastModified, $"{scimBase}/Groups/{group.Id}");
        json.WriteEndObject();
    }

    public static Task WriteErrorAsync(HttpResponse response, int status, string detail, string? scimType = null)
    {
        // RFC 7644 §3.12: status is a string.
        var error = new JsonObject
        {
            ["schemas"] = new JsonArray(ErrorSchema),
            ["status"] = status.ToString(CultureInfo.InvariantCulture),
        };
        if (scimType is not null)
        {
            error["scimType"] = scimType;
        }

        error["detail"] = detail;
        return ScimStream.WriteAsync(response, status, error);
    }

    private static void WriteMeta(Utf8JsonWriter json, JsonEncodedText resourceType, DateTimeOffset created, DateTimeOffset lastModified, string location)
    {
        json.WriteStartObject(Meta);
        json.WriteString(ResourceType, resourceType);
        json.WriteString(Created, created.UtcDateTime);
        json.WriteString(LastModified, lastModified.UtcDateTime);
        json.WriteString(Location, location);
        json.WriteEndObject();
    }
}
