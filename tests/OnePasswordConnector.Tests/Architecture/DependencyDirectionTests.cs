using NetArchTest.Rules;

namespace OnePasswordConnector.Tests.Architecture;

/// <summary>
/// Each folder of the service uses only the folders below it (docs/architecture.md draws the same picture): the
/// shared ground (Hosting, Persistence, the SCIM client), then the connection registry, then the features about one
/// connection, which reach each other only through what lies below them.
/// </summary>
public sealed class DependencyDirectionTests
{
    private static readonly System.Reflection.Assembly Service = typeof(OnePasswordConnector.Connections.ConnectionsApi).Assembly;

    private static readonly Dictionary<string, string[]> Below = new()
    {
        ["Hosting"] = [],
        ["Persistence"] = [],
        ["Scim"] = ["Hosting"],
        ["Connections"] = ["Hosting", "Persistence", "Scim"],
        ["SignIns"] = ["Hosting", "Persistence", "Scim", "Connections"],
        ["Sync"] = ["Hosting", "Persistence", "Scim", "Connections", "SignIns"],
        ["AccessReview"] = ["Hosting", "Persistence", "Scim", "Connections"],
        ["Retention"] = ["Hosting", "Persistence"],
        ["Webhooks"] = ["Hosting", "Persistence", "Scim", "Connections", "Sync"],
        ["Audit"] = ["Hosting", "Persistence"],
        ["Reviews"] = ["Hosting", "Persistence", "Scim", "Connections", "AccessReview"],
        ["Evidence"] = ["Hosting", "Persistence", "Scim", "Connections", "AccessReview", "Reviews", "Audit"],
    };

    public static TheoryData<string> Folders => [.. Below.Keys];

    [Theory]
    [MemberData(nameof(Folders))]
    public void A_folder_uses_only_the_folders_below_it(string folder)
    {
        var offLimits = Below.Keys.Except(Below[folder]).Where(f => f != folder).Select(f => $"OnePasswordConnector.{f}").ToArray();

        var result = Types.InAssembly(Service).That().ResideInNamespace($"OnePasswordConnector.{folder}")
            .ShouldNot().HaveDependencyOnAny(offLimits).GetResult();

        Assert.True(result.IsSuccessful,
            $"{folder} may use only {string.Join(", ", Below[folder].DefaultIfEmpty("nothing else of the service"))}, but these of its types use more: " +
            string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void Every_type_of_the_service_lives_in_a_folder_the_rules_know()
    {
        var unplaced = Service.GetTypes()
            .Where(t => t.Namespace is { } ns && ns.StartsWith("OnePasswordConnector", StringComparison.Ordinal))
            .Select(t => t.Namespace!)
            .Where(ns => !Below.Keys.Any(f => ns == $"OnePasswordConnector.{f}" || ns.StartsWith($"OnePasswordConnector.{f}.", StringComparison.Ordinal)))
            .Distinct()
            .ToList();

        Assert.True(unplaced.Count == 0, $"Add these namespaces to the dependency rules: {string.Join(", ", unplaced)}");
    }
}
