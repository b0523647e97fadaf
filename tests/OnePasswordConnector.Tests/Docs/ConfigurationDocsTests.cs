using System.Reflection;

namespace OnePasswordConnector.Tests.Docs;

/// <summary>Every setting the service binds is in docs/configuration.md's table, under the name an operator types.</summary>
public sealed class ConfigurationDocsTests
{
    public static TheoryData<string> Settings()
    {
        var settings = new TheoryData<string>();
        var optionTypes = typeof(OnePasswordConnector.Connections.ConnectionsApi).Assembly.GetTypes()
            .Select(t => (Type: t, Section: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
            .Where(o => o.Section is not null);
        foreach (var (type, section) in optionTypes)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                // The API keys are the section's own list (ApiKeys:0:Name), documented as `ApiKeys`.
                settings.Add(section == "ApiKeys" ? section : $"{section}:{property.Name}");
            }
        }

        return settings;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void The_setting_is_documented(string setting)
    {
        var table = File.ReadAllText(Path.Combine(Repository.Root, "docs/configuration.md"));

        Assert.Contains($"| `{setting}`", table, StringComparison.Ordinal);
    }
}
