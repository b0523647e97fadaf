using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OnePasswordConnector.TestSupport;
using OnePasswordConnector.Webhooks;
using static OnePasswordConnector.IntegrationTests.Webhooks.WebhookDeliveryTests;

namespace OnePasswordConnector.IntegrationTests.Webhooks;

/// <summary>The signature-verification examples of docs/webhooks.md, run as they are written against real deliveries.</summary>
public sealed partial class WebhookVerificationDocsTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    // The Standard Webhooks specification's published test vector.
    private const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const string VectorTimestamp = "1614265330";
    private const string VectorBody = """{"test": 2432232314}""";
    private const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static string Docs => File.ReadAllText(Path.Combine(RunScript.RepositoryRoot(), "docs", "webhooks.md"));

    // docs:begin
    static bool VerifyWebhook(string secret, string id, string timestamp, string signatures, string body, DateTimeOffset now)
    {
        if (!long.TryParse(timestamp, out var seconds) || Math.Abs(now.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        var expected = Encoding.ASCII.GetBytes("v1," + Convert.ToBase64String(mac));
        return signatures.Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }
    // docs:end

    [Fact]
    public void The_service_signs_the_Standard_Webhooks_test_vector_as_the_specification_does()
    {
        Assert.Equal(VectorSignature, WebhookSignature.Sign(VectorSecret, VectorId, long.Parse(VectorTimestamp, System.Globalization.CultureInfo.InvariantCulture), VectorBody));
    }

    [Fact]
    public void The_csharp_example_is_the_one_in_the_docs_and_accepts_the_test_vector_and_refuses_tampering()
    {
        var source = File.ReadAllText(Path.Combine(RunScript.RepositoryRoot(), "tests", "OnePasswordConnector.IntegrationTests", "Webhooks", "WebhookVerificationDocsTests.cs"));
        var tested = source[(source.IndexOf("// docs:begin", StringComparison.Ordinal) + "// docs:begin".Length)..source.IndexOf("    // docs:end", StringComparison.Ordinal)];
        Assert.Equal(Dedent(tested), Dedent(Block("csharp")));

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(1614265330);
        Assert.True(VerifyWebhook(VectorSecret, VectorId, VectorTimestamp, VectorSignature, VectorBody, signedAt.AddSeconds(10)));
        Assert.True(VerifyWebhook(VectorSecret, VectorId, VectorTimestamp, "v1,bm90IGl0 " + VectorSignature, VectorBody, signedAt));
        Assert.False(VerifyWebhook(VectorSecret, VectorId, VectorTimestamp, VectorSignature, """{"test": 2432232315}""", signedAt));
        Assert.False(VerifyWebhook(VectorSecret, VectorId, "1614265331", VectorSignature, VectorBody, signedAt));
        Assert.False(VerifyWebhook(VectorSecret, VectorId, VectorTimestamp, VectorSignature, VectorBody, signedAt.AddMinutes(6)));
    }

    [Fact]
    public async Task Both_examples_accept_a_real_delivery_and_refuse_it_tampered()
    {
        const string tenant = "verify";
        using var bridge = FakeBridge.Healthy([Ada.User()], []);
        var connection = await app.RegisterAsync(bridge, tenant);
        await app.SyncAsync(connection, tenant);
        using var subscriber = new WebhookSubscriber();
        var (_, secret) = await app.SubscribeAsync(subscriber.Url, ["user.joined"], tenant);
        ServeUsers(bridge, 40, Ada.User(), Grace.User());
        await app.SyncAsync(connection, tenant);
        await app.Worker().RunOnceAsync(CancellationToken.None);
        var delivery = Assert.Single(subscriber.Received);

        Assert.True(VerifyWebhook(secret, delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body, DateTimeOffset.UtcNow));
        Assert.False(VerifyWebhook(secret, delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body.Replace("grace", "mallory", StringComparison.Ordinal), DateTimeOffset.UtcNow));

        Assert.Equal("True False", await RunPythonAsync(secret, delivery));
    }

    /// <summary>Runs the docs' Python function on the delivery as received and with its body altered.</summary>
    private static async Task<string> RunPythonAsync(string secret, ReceivedWebhook delivery)
    {
        var script = Path.Combine(Path.GetTempPath(), $"verify_webhook_{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(script, Block("python") + """


            import json, sys
            given = json.load(sys.stdin)
            headers = {"webhook-id": given["id"], "webhook-timestamp": given["timestamp"], "webhook-signature": given["signature"]}
            body = given["body"].encode()
            print(verify_webhook(given["secret"], headers, body), verify_webhook(given["secret"], headers, body.replace(b"grace", b"mallory")))
            """.Replace("\n            ", "\n", StringComparison.Ordinal));
        try
        {
            using var python = Process.Start(new ProcessStartInfo("python3", script)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            await python.StandardInput.WriteAsync(JsonSerializer.Serialize(new
            {
                secret,
                id = delivery.Id,
                timestamp = delivery.Timestamp,
                signature = delivery.Signature,
                body = delivery.Body,
            }));
            python.StandardInput.Close();
            var output = await python.StandardOutput.ReadToEndAsync();
            var errors = await python.StandardError.ReadToEndAsync();
            await python.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(python.ExitCode == 0, errors);
            return output.Trim();
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static string Block(string language) =>
        Assert.Single(CodeBlock().Matches(Docs), m => m.Groups[1].Value == language).Groups[2].Value;

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "", StringComparison.Ordinal).Trim('\n').Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    [GeneratedRegex("```(\\w+)\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
