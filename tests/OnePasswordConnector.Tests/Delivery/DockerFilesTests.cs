using System.Text.RegularExpressions;

namespace OnePasswordConnector.Tests.Delivery;

/// <summary>
/// A static check of the Docker files (no Docker engine runs where the suite runs): every file an image copies
/// exists in the build context, the images are multi-stage, run as non-root and check their health, and the compose
/// file builds from Dockerfiles that exist.
/// </summary>
public sealed partial class DockerFilesTests
{
    private static readonly string Root = Repository.Root;

    public static TheoryData<string, string, string> Images => new()
    {
        { "docker/Dockerfile", "OnePasswordConnector.dll", "/health/live" },
        { "docker/Dockerfile.demobridge", "OnePasswordConnector.DemoBridge.dll", "/ping" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void An_image_is_built_in_stages_from_files_that_exist_and_runs_as_non_root_with_a_health_check(string dockerfile, string entryAssembly, string healthPath)
    {
        var lines = Instructions(File.ReadAllText(Path.Combine(Root, dockerfile)));

        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stages.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", stages[1], StringComparison.Ordinal);
        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)))
        {
            var sources = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            foreach (var source in sources)
            {
                Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"{dockerfile}: '{source}' does not exist in the build context");
                Assert.DoesNotContain(ignored, pattern => source.TrimEnd('/').Equals(pattern.TrimEnd('/'), StringComparison.Ordinal));
            }
        }

        var runtime = lines.SkipWhile(l => l != stages[1]).ToList();
        Assert.Contains(runtime, l => l.StartsWith("USER ", StringComparison.Ordinal) && !l.Contains("root", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal) && l.Contains(healthPath, StringComparison.Ordinal));
        Assert.Contains(runtime, l => l.StartsWith("EXPOSE ", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal) && l.Contains(entryAssembly, StringComparison.Ordinal));
    }

    [Fact]
    public void The_compose_file_builds_both_images_and_gives_postgres_a_volume_and_the_service_its_settings()
    {
        var compose = File.ReadAllText(Path.Combine(Root, "docker/docker-compose.yml"));

        var dockerfiles = DockerfileReference().Matches(compose).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["docker/Dockerfile", "docker/Dockerfile.demobridge"], dockerfiles);
        Assert.All(dockerfiles, f => Assert.True(File.Exists(Path.Combine(Root, f)), f));
        Assert.Contains("image: postgres:", compose, StringComparison.Ordinal);
        Assert.Matches(@"volumes:\s*\n\s*- postgres-data:/var/lib/postgresql/data", compose);
        Assert.Contains("ConnectionStrings__Postgres:", compose, StringComparison.Ordinal);
        Assert.Contains("condition: service_healthy", compose, StringComparison.Ordinal);
        Assert.DoesNotContain("\t", compose, StringComparison.Ordinal);
    }

    [Fact]
    public void The_compose_file_applies_migrations_with_the_migrate_command_before_the_service_starts()
    {
        var compose = File.ReadAllText(Path.Combine(Root, "docker/docker-compose.yml"));

        Assert.Matches(@"migrate:\s*\n(\s+.*\n)*?\s+command: \[""migrate""\]", compose);
        Assert.Matches(@"depends_on:\s*\n\s+migrate:\s*\n\s+condition: service_completed_successfully", compose);
        Assert.Contains("Database__MigrateOnStartup: \"false\"", compose, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_points_to_the_docker_files()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        Assert.Contains("docker/Dockerfile", readme, StringComparison.Ordinal);
        Assert.Contains("docker/docker-compose.yml", readme, StringComparison.Ordinal);
    }

    /// <summary>Dockerfile instructions with line continuations joined and comments dropped.</summary>
    private static List<string> Instructions(string dockerfile) =>
        [.. dockerfile.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))];

    [GeneratedRegex(@"dockerfile:\s*(\S+)")]
    private static partial Regex DockerfileReference();
}
