using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Audit;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Evidence;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Retention;
using OnePasswordConnector.Reviews;
using OnePasswordConnector.Scim;
using OnePasswordConnector.SignIns;
using OnePasswordConnector.Sync;
using OnePasswordConnector.Webhooks;

var builder = WebApplication.CreateBuilder(args);

// Services
builder.AddLogging();
builder.AddTelemetry();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddJsonConventions();
builder.Services.AddProblemHandling();
builder.Services.AddApiKeys();
builder.Services.AddApiLimits();
builder.Services.AddApiDocs();
builder.Services.AddPersistence(builder.Configuration);
builder.Services.AddKeyRing(builder.Configuration);
builder.Services.AddScimClient();
builder.Services.AddConnectionRegistry();
builder.Services.AddSignIns();
builder.Services.AddSync();
builder.Services.AddScheduler();
builder.Services.AddAccessReview();
builder.Services.AddRetention();
builder.Services.AddWebhooks();
builder.Services.AddReviews();
builder.Services.AddEvidence();
builder.Services.AddAuditTrail();

var app = builder.Build();
if (args is [DatabaseMigrations.Command, ..])
{
    return await app.RunMigrateCommandAsync();
}

// Middleware
app.UseProblemHandling();
app.UseRequestSizeLimit();
app.UseRequestLogging();
app.UseApiDocs();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.UseAuditTrail();
app.UseInputValidation();

// Endpoints
app.MapHealth();
app.MapServiceInfo();
app.MapTelemetry();
var tenant = app.MapGroup("/api/v1/tenants/{tenantId}").RequireTenantAccess();
var connection = tenant.MapConnectionsApi();
connection.MapSyncsApi();
connection.MapAccessReviewApi();
tenant.MapWebhooksApi();
connection.MapSignInsApi();
connection.MapReviewsApi().MapEvidenceApi();
tenant.MapAuditApi();
app.MapEvidenceKeys();

await app.MigrateDatabaseAsync();
await app.RunAsync();
return 0;

/// <summary>The entry point, public for WebApplicationFactory in the integration tests.</summary>
public partial class Program;
