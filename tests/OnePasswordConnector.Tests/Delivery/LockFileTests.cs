using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace OnePasswordConnector.Tests.Delivery;

/// <summary>
/// NuGet lock files: every project of the solution commits one that pins each package it references at the version
/// Directory.Packages.props gives, and a CI build restores in locked mode, so a drifted lock file fails the build.
/// </summary>
public sealed partial class LockFileTests
{
    private static readonly string Root = Repository.Root;

    public static TheoryData<string> Projects()
    {
        var data = new TheoryData<string>();
        foreach (Match match in ProjectLine().Matches(File.ReadAllText(Path.Combine(Root, "OnePasswordConnector.sln"))))
        {
            data.Add(match.Groups[1].Value.Replace('\\', '/'));
        }

        return data;
    }

    [Fact]
    public void Every_project_restores_with_a_lock_file_and_CI_restores_in_locked_mode()
    {
        var properties = XDocument.Load(Path.Combine(Root, "Directory.Build.props")).Descendants().ToList();

        Assert.Equal("true", properties.Single(p => p.Name.LocalName == "RestorePackagesWithLockFile").Value);
        var locked = properties.Single(p => p.Name.LocalName == "RestoreLockedMode");
        Assert.Equal("true", locked.Value);
        Assert.Contains("'$(CI)' == 'true'", locked.Attribute("Condition")?.Value, StringComparison.Ordinal);
        Assert.Contains("'$(ContinuousIntegrationBuild)' == 'true'", locked.Attribute("Condition")?.Value, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void A_project_commits_a_lock_file_pinning_each_package_it_references_at_the_central_version(string project)
    {
        var lockFile = Path.Combine(Root, Path.GetDirectoryName(project)!, "packages.lock.json");
        Assert.True(File.Exists(lockFile), $"{project} has no packages.lock.json: run `dotnet restore --force-evaluate` and commit it.");

        var versions = XDocument.Load(Path.Combine(Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => p.Attribute("Include")!.Value, p => p.Attribute("Version")!.Value);
        using var locked = JsonDocument.Parse(File.ReadAllText(lockFile));
        var pinned = locked.RootElement.GetProperty("dependencies").GetProperty("net10.0");
        foreach (var reference in XDocument.Load(Path.Combine(Root, project)).Descendants("PackageReference"))
        {
            var package = reference.Attribute("Include")!.Value;
            Assert.True(pinned.TryGetProperty(package, out var entry), $"{project}'s lock file lacks {package}: refresh it with `dotnet restore --force-evaluate`.");
            Assert.Equal("Direct", entry.GetProperty("type").GetString());
            Assert.Equal($"[{versions[package]}, )", entry.GetProperty("requested").GetString());
        }
    }

    [GeneratedRegex(@"^Project\(""\{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC\}""\) = ""[^""]+"", ""([^""]+\.csproj)""", RegexOptions.Multiline)]
    private static partial Regex ProjectLine();
}
