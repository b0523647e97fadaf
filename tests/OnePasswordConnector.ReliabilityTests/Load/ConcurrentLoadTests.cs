using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.DemoBridge;
using OnePasswordConnector.TestSupport;
using Xunit.Abstractions;

namespace OnePasswordConnector.ReliabilityTests.Load;

public sealed class LoadApp : SyncApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [.. base.Settings.Where(s => s.Key != "Sync:PageSize"), new("Sync:PageSize", "100")];
}

/// <summary>Readers hammer the API while several connections sync over and over: no errors, no deadlock.</summary>
public sealed class ConcurrentLoadTests(LoadApp app, ITestOutputHelper output) : IClassFixture<LoadApp>
{
    private const int Readers = 16;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task Concurrent_readers_during_syncs_of_several_connections_see_no_errors()
    {
        const string token = "load-test-bridge-token-0123456789";
        SecretScan.Register(token);
        var directory = DemoDirectory.Generate(users: 2000, groups: 100, seed: 3);
        await using var bridge = await DemoBridgeApp.StartAsync(new DemoBridgeOptions { BearerToken = token }, directory);
        var url = bridge.GetBaseAddress().AbsoluteUri.TrimEnd('/');
        var connections = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            connections.Add(await app.RegisterAsync(url, token, name: $"load {i}"));
        }

        using var stop = new CancellationTokenSource(Duration);
        var syncs = new ConcurrentBag<string>();
        var syncing = connections.Select(id => Task.Run(async () =>
        {
            var round = 0;
            while (!stop.IsCancellationRequested)
            {
                if (round++ % 2 == 1)
                {
                    var someone = directory.Users[Random.Shared.Next(directory.Users.Count)];
                    directory.RenameUser(someone.Id, someone.GivenName, someone.FamilyName + "x");
                }

                syncs.Add((await app.SyncAsync(id)).GetProperty("status").GetString()!);
            }
        })).ToList();

        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentBag<string>();
        var reading = Enumerable.Range(0, Readers).Select(reader => Task.Run(async () =>
        {
            using var client = app.ClientWithKey(ConnectorApp.AdminKey);
            var id = connections[reader % connections.Count];
            string[] urls =
            [
                "/api/v1/tenants/acme/connections",
                $"/api/v1/tenants/acme/connections/{id}",
                $"/api/v1/tenants/acme/connections/{id}/syncs",
                $"/api/v1/tenants/acme/connections/{id}/provisioning",
                $"/api/v1/tenants/acme/connections/{id}/users?limit=100",
            ];
            var i = reader;
            while (!stop.IsCancellationRequested)
            {
                var target = urls[i++ % urls.Length];
                var watch = Stopwatch.StartNew();
                using var response = await client.GetAsync(target);
                latencies.Add(watch.Elapsed.TotalMilliseconds);
                // Before the first sync ends there is no provisioning status yet: 404 is the right answer then.
                if (response.StatusCode != HttpStatusCode.OK && !(response.StatusCode == HttpStatusCode.NotFound && target.EndsWith("/provisioning", StringComparison.Ordinal)))
                {
                    errors.Add($"{target}: {(int)response.StatusCode}");
                }
            }
        })).ToList();

        await Task.WhenAll(reading);
        await Task.WhenAll(syncing);

        var sorted = latencies.Order().ToArray();
        var p50 = sorted[sorted.Length / 2];
        var p99 = sorted[(int)(sorted.Length * 0.99)];
        output.WriteLine($"{sorted.Length} reads by {Readers} clients in {Duration.TotalSeconds} s during {syncs.Count} syncs of {connections.Count} connections " +
                         $"({directory.Users.Count} users each): p50 {p50:F1} ms, p99 {p99:F1} ms, max {sorted[^1]:F1} ms");
        Assert.Empty(errors);
        Assert.All(syncs, status => Assert.Equal("succeeded", status));
        Assert.True(syncs.Count >= connections.Count, "every connection synced at least once");
        foreach (var id in connections)
        {
            Assert.Equal(directory.Users.Count, (await app.CurrentUsersAsync(id)).Count);
        }
    }
}
