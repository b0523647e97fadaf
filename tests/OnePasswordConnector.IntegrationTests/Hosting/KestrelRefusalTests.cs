using System.Net;
using System.Text;
using OnePasswordConnector.IntegrationTests.Connections;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Hosting;

/// <summary>The service behind a real Kestrel server: what Kestrel refuses itself, and what reaches the service to be answered as a problem.</summary>
public sealed class KestrelApp : ConnectorApp
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        UseKestrel(0);
        StartServer();
    }
}

public sealed class KestrelRefusalTests(KestrelApp app) : IClassFixture<KestrelApp>
{
    private const string Connections = "/api/v1/tenants/acme/connections";
    private readonly HttpClient admin = app.ClientWithKey(ConnectorApp.AdminKey);

    [Fact]
    public async Task A_100_KB_query_gets_the_services_414_problem()
    {
        var response = await admin.GetAsync($"{Connections}?q={new string('a', 100 * 1024)}");

        var problem = await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.RequestUriTooLong);
        Assert.Equal("URI too long", problem.GetProperty("title").GetString());
        Assert.Equal("The path and query string are limited to 8192 characters. Send fewer or shorter filters.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_request_line_over_128_KB_gets_kestrels_bare_414()
    {
        var response = await admin.GetAsync($"{Connections}?q={new string('a', 130 * 1024)}");

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Nul_in_the_path_gets_kestrels_bare_400_before_the_service_runs()
    {
        var response = await admin.GetAsync($"{Connections}/a%00b");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_gets_a_413_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Connections)
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 100_000) + "\"}"))),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        var response = await admin.SendAsync(request);

        var problem = await ConnectionRegistryTests.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("Request body too large", problem.GetProperty("title").GetString());
        Assert.Equal("Request bodies are limited to 65536 bytes.", problem.GetProperty("detail").GetString());
    }
}
