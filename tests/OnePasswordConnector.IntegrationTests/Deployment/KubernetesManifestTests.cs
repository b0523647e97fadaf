using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.TestSupport;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace OnePasswordConnector.IntegrationTests.Deployment;

/// <summary>
/// The Kubernetes manifests under deploy/kubernetes, read as YAML and held against the service they deploy: its real
/// probe routes, its port, its settings, its migrate command, and the properties a production platform team requires.
/// </summary>
public sealed partial class KubernetesManifestTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    private static readonly string Root = RunScript.RepositoryRoot();
    private static readonly string Base = Path.Combine(Root, "deploy/kubernetes/base");
    private static readonly List<Node> Manifests = [.. Directory.GetFiles(Base, "*.yaml").Order(StringComparer.Ordinal).SelectMany(Read)];

    private static Node Deployment => Manifests.Single(m => m["kind"].Text == "Deployment");
    private static Node Job => Manifests.Single(m => m["kind"].Text == "Job");
    private static Node Container => Deployment["spec"]["template"]["spec"]["containers"].Items.Single();

    [Fact]
    public void The_kustomization_includes_every_manifest_of_the_base()
    {
        var kustomization = Manifests.Single(m => m["kind"].Text == "Kustomization");
        var files = Directory.GetFiles(Base, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order(StringComparer.Ordinal);

        Assert.Equal(files, kustomization["resources"].Items.Select(r => r.Text).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Three_replicas_run_as_non_root_on_a_read_only_root_filesystem_with_requests_and_limits()
    {
        var pod = Deployment["spec"]["template"]["spec"];
        Assert.Equal(3, Deployment["spec"]["replicas"].Number);
        Assert.Equal("true", pod["securityContext"]["runAsNonRoot"].Text);
        Assert.NotEqual(0, pod["securityContext"]["runAsUser"].Number);
        foreach (var container in new[] { Container, Job["spec"]["template"]["spec"]["containers"].Items.Single() })
        {
            Assert.Equal("true", container["securityContext"]["readOnlyRootFilesystem"].Text);
            Assert.Equal("false", container["securityContext"]["allowPrivilegeEscalation"].Text);
            Assert.Contains("ALL", container["securityContext"]["capabilities"]["drop"].Items.Select(i => i.Text));
            foreach (var kind in new[] { "requests", "limits" })
            {
                Assert.False(string.IsNullOrEmpty(container["resources"][kind]["cpu"].Text), kind);
                Assert.False(string.IsNullOrEmpty(container["resources"][kind]["memory"].Text), kind);
            }

            // With a read-only root, the runtime's temporary files need a writable /tmp.
            Assert.Contains(container["volumeMounts"].Items, m => m["mountPath"].Text == "/tmp");
        }
    }

    [Fact]
    public async Task The_probes_call_the_services_real_health_routes_on_the_port_the_image_listens_on()
    {
        var port = Container["ports"].Items.Single();
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(Root, "docker/Dockerfile"));
        Assert.Contains($"ASPNETCORE_URLS=http://+:{port["containerPort"].Text}", dockerfile, StringComparison.Ordinal);
        Assert.Equal("/health/live", Container["livenessProbe"]["httpGet"]["path"].Text);
        Assert.Equal("/health/ready", Container["readinessProbe"]["httpGet"]["path"].Text);

        using var client = app.CreateClient();
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            var get = Container[probe]["httpGet"];
            Assert.Equal(port["name"].Text, get["port"].Text);
            var response = await client.GetAsync(get["path"].Text);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{probe} {get["path"].Text}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public void A_stopping_replica_has_time_to_pause_and_then_record_how_its_running_syncs_ended()
    {
        var pod = Deployment["spec"]["template"]["spec"];
        var pause = Container["lifecycle"]["preStop"]["exec"]["command"].Items.Select(i => i.Text).ToList();
        Assert.Equal("sleep", pause[0]);
        var grace = pod["terminationGracePeriodSeconds"].Number;

        Assert.True(grace >= int.Parse(pause[1], CultureInfo.InvariantCulture) + new HostOptions().ShutdownTimeout.TotalSeconds,
            $"terminationGracePeriodSeconds {grace} must outlast the preStop pause and the host's shutdown timeout");
    }

    [Fact]
    public void The_migration_job_runs_the_real_migrate_command_from_the_same_image_and_replicas_do_not_migrate()
    {
        var migrate = Job["spec"]["template"]["spec"]["containers"].Items.Single();

        Assert.Equal([DatabaseMigrations.Command], migrate["args"].Items.Select(a => a.Text));
        Assert.Equal(Container["image"].Text, migrate["image"].Text);
        Assert.Equal("Never", Job["spec"]["template"]["spec"]["restartPolicy"].Text);
        Assert.Contains(Container["env"].Items, e => e["name"].Text == "Database__MigrateOnStartup" && e["value"].Text == "false");
    }

    [Fact]
    public void Every_setting_the_manifests_pass_is_a_documented_setting_of_the_service()
    {
        var documented = File.ReadAllText(Path.Combine(Root, "docs/configuration.md"));
        var names = new[] { Container, Job["spec"]["template"]["spec"]["containers"].Items.Single() }
            .SelectMany(c => c["env"].Items).Select(e => e["name"].Text).Distinct();

        Assert.All(names, name => Assert.Contains($"`{ListIndex().Replace(name, "__{i}__")}", documented, StringComparison.Ordinal));
    }

    [Fact]
    public void Secrets_are_referenced_by_keys_the_secret_declares_and_the_key_ring_certificate_is_required()
    {
        var secret = Manifests.Single(m => m["kind"].Text == "Secret");
        var declared = secret["stringData"].Keys.Concat(secret["data"].Keys).ToHashSet(StringComparer.Ordinal);
        var referenced = Manifests.SelectMany(Descendants)
            .Where(n => n.Has("secretKeyRef")).Select(n => n["secretKeyRef"]["key"].Text)
            .Concat(Deployment["spec"]["template"]["spec"]["volumes"].Items.Where(v => v.Has("secret"))
                .SelectMany(v => v["secret"]["items"].Items.Select(i => i["key"].Text)));

        Assert.All(referenced, key => Assert.Contains(key, declared));
        Assert.Contains(Container["env"].Items, e => e["name"].Text == "DataProtection__RequireCertificate" && e["value"].Text == "true");
        Assert.Contains(Container["env"].Items, e => e["name"].Text == "DataProtection__CertificatePath"
            && e["value"].Text.StartsWith(Container["volumeMounts"].Items.Single(m => m["name"].Text == "keyring")["mountPath"].Text + "/", StringComparison.Ordinal));
    }

    [Fact]
    public void The_service_budget_autoscaler_and_network_policy_select_the_replicas()
    {
        var podLabels = Deployment["spec"]["template"]["metadata"]["labels"];
        bool Selects(Node selector) => selector.Keys.All(k => podLabels.Has(k) && podLabels[k].Text == selector[k].Text);

        Assert.True(Selects(Deployment["spec"]["selector"]["matchLabels"]));
        Assert.True(Selects(Manifests.Single(m => m["kind"].Text == "Service")["spec"]["selector"]));
        var budget = Manifests.Single(m => m["kind"].Text == "PodDisruptionBudget");
        Assert.True(Selects(budget["spec"]["selector"]["matchLabels"]));
        Assert.True(budget["spec"]["minAvailable"].Number < Deployment["spec"]["replicas"].Number);
        var policy = Manifests.Single(m => m["kind"].Text == "NetworkPolicy");
        Assert.True(Selects(policy["spec"]["podSelector"]["matchLabels"]));
        var scaler = Manifests.Single(m => m["kind"].Text == "HorizontalPodAutoscaler");
        Assert.Equal(Deployment["metadata"]["name"].Text, scaler["spec"]["scaleTargetRef"]["name"].Text);
        Assert.Equal(Deployment["spec"]["replicas"].Number, scaler["spec"]["minReplicas"].Number);
    }

    [Fact]
    public void Egress_is_dns_postgresql_and_https_only()
    {
        var policy = Manifests.Single(m => m["kind"].Text == "NetworkPolicy");
        var ports = policy["spec"]["egress"].Items.SelectMany(rule => rule["ports"].Items).Select(p => $"{p["protocol"].Text}/{p["port"].Text}").Order(StringComparer.Ordinal);

        Assert.Equal(["TCP/443", "TCP/53", "TCP/5432", "UDP/53"], ports);
        Assert.All(policy["spec"]["egress"].Items, rule => Assert.False(rule.Has("to") && rule["to"].Items.Count == 0));
        var jobLabels = Job["spec"]["template"]["metadata"]["labels"];
        Assert.All(policy["spec"]["podSelector"]["matchLabels"].Keys, k => Assert.Equal(policy["spec"]["podSelector"]["matchLabels"][k].Text, jobLabels[k].Text));
    }

    [Fact]
    public void The_example_overlay_replaces_the_placeholder_secret_and_names_the_image_the_base_uses()
    {
        var overlay = Read(Path.Combine(Root, "deploy/kubernetes/overlays/example/kustomization.yaml")).Single();
        var image = Container["image"].Text.Split(':')[0];

        Assert.Contains(overlay["images"].Items, i => i["name"].Text == image && i.Has("newTag"));
        var generated = overlay["secretGenerator"].Items.Single();
        Assert.Equal(Manifests.Single(m => m["kind"].Text == "Secret")["metadata"]["name"].Text, generated["name"].Text);
        Assert.Equal("replace", generated["behavior"].Text);
    }

    [Fact]
    public void The_documented_first_apply_selects_the_migration_job_and_the_secret_it_reads()
    {
        var operations = File.ReadAllText(Path.Combine(Root, "docs/operations.md"));
        var selector = FirstApplySelector().Match(operations);
        Assert.True(selector.Success, "docs/operations.md has no `kubectl apply -k ... -l key=value` step");
        var (key, value) = (selector.Groups[1].Value, selector.Groups[2].Value);
        bool Labelled(Node manifest) => manifest.Has("metadata") && manifest["metadata"].Has("labels") && manifest["metadata"]["labels"].Has(key)
            && manifest["metadata"]["labels"][key].Text == value;

        Assert.Equal(["Job", "Secret"], Manifests.Where(Labelled).Select(m => m["kind"].Text).Order(StringComparer.Ordinal));
        var overlay = Read(Path.Combine(Root, "deploy/kubernetes/overlays/example/kustomization.yaml")).Single();
        Assert.Equal(value, overlay["secretGenerator"].Items.Single()["options"]["labels"][key].Text);
    }

    [GeneratedRegex(@"kubectl apply -k \S+ -l ([\w./-]+)=([\w.-]+)")]
    private static partial Regex FirstApplySelector();

    private static IEnumerable<Node> Descendants(Node node) =>
        new[] { node }.Concat(node.Value switch
        {
            Dictionary<object, object> map => map.Values.SelectMany(v => Descendants(new Node(v))),
            List<object> list => list.SelectMany(v => Descendants(new Node(v))),
            _ => [],
        });

    private static IEnumerable<Node> Read(string path)
    {
        var parser = new Parser(new StringReader(File.ReadAllText(path)));
        var deserializer = new DeserializerBuilder().Build();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            yield return new Node(deserializer.Deserialize(parser) ?? new Dictionary<object, object>());
        }
    }

    [GeneratedRegex(@"__\d+__")]
    private static partial Regex ListIndex();

    /// <summary>A YAML node; a missing key fails the test with its name.</summary>
    private sealed record Node(object Value)
    {
        public Node this[string key] => Value is Dictionary<object, object> map && map.TryGetValue(key, out var child) && child is not null
            ? new Node(child)
            : throw new Xunit.Sdk.XunitException($"The manifest has no '{key}' here.");

        public bool Has(string key) => Value is Dictionary<object, object> map && map.ContainsKey(key);

        public IEnumerable<string> Keys => Value is Dictionary<object, object> map ? map.Keys.Select(k => k.ToString()!) : [];

        public List<Node> Items => Value is List<object> list ? [.. list.Select(i => new Node(i))] : [];

        public string Text => Value as string ?? "";

        public int Number => int.Parse(Text, CultureInfo.InvariantCulture);
    }
}
