using System.Text.Json;

namespace OnePasswordConnector.Tests.Hosting;

/// <summary>The .NET runtime settings the service is built with, as its runtimeconfig.json carries them.</summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void Idle_thread_pool_workers_sleep_at_once_instead_of_spinning_for_more_work()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "OnePasswordConnector.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
