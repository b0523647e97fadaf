using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StandardWebhooks;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace OnePasswordConnector.IntegrationTests.Webhooks;

/// <summary>A webhook endpoint faked over real HTTP with WireMock.Net at <c>/hook</c>; it answers 204 until told otherwise.</summary>
internal sealed class WebhookSubscriber : IDisposable
{
    public WebhookSubscriber()
    {
        Server = WireMockServer.Start();
        Answer(204);
    }

    public WireMockServer Server { get; }

    public string Url => Server.Url + "/hook";

    /// <summary>From now on every post to /hook gets <paramref name="status"/>.</summary>
    public void Answer(int status)
    {
        Server.ResetMappings();
        Server.Given(Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(status));
    }

    /// <summary>Every post received, in arrival order, with the status it was answered.</summary>
    public IReadOnlyList<ReceivedWebhook> Received => [.. Server.LogEntries
        .Where(e => e.RequestMessage.AbsolutePath == "/hook")
        .OrderBy(e => e.RequestMessage.DateTime)
        .Select(e => new ReceivedWebhook(
            e.RequestMessage.Headers!["webhook-id"].Single(),
            e.RequestMessage.Headers["webhook-timestamp"].Single(),
            e.RequestMessage.Headers["webhook-signature"].Single(),
            e.RequestMessage.Headers.TryGetValue("Content-Type", out var type) ? type.Single() : "",
            e.RequestMessage.Body!,
            e.ResponseMessage.StatusCode is int status ? status : int.Parse((string)e.ResponseMessage.StatusCode!, System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>The posts answered 2xx: what the subscriber accepted.</summary>
    public IReadOnlyList<ReceivedWebhook> Accepted => [.. Received.Where(r => r.Status is >= 200 and < 300)];

    public void Dispose() => Server.Stop();
}

internal sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string ContentType, string Body, int Status)
{
    public JsonElement Payload => JsonDocument.Parse(Body).RootElement;

    public string Type => Payload.GetProperty("type").GetString()!;

    public long EventId => long.Parse(Id["msg_".Length..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The signature the StandardWebhooks package computes for this id, timestamp and body with the secret.</summary>
    public string ExpectedSignature(string secret) =>
        new StandardWebhook(secret).Sign(Id, DateTimeOffset.FromUnixTimeSeconds(long.Parse(Timestamp, System.Globalization.CultureInfo.InvariantCulture)), Body);

    /// <summary>The StandardWebhooks package's own verification, which also checks the timestamp against the real clock.</summary>
    public void Verify(string secret) => new StandardWebhook(secret).Verify(Body, new HeaderDictionary
    {
        ["webhook-id"] = Id,
        ["webhook-timestamp"] = Timestamp,
        ["webhook-signature"] = Signature,
    });
}

internal static class WebhookTestExtensions
{
    public static OnePasswordConnector.Webhooks.WebhookWorker Worker(this TestSupport.ConnectorApp app) =>
        app.Services.GetRequiredService<OnePasswordConnector.Webhooks.WebhookWorker>();
}
