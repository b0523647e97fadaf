using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace OnePasswordConnector.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a database or the app's configuration.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ConnectorDbContext>
{
    public ConnectorDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ConnectorDbContext>()
            .UseNpgsql("Host=localhost;Database=design_time")
            .UseSnakeCaseNamingConvention()
            .Options);
}
