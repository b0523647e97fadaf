using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Audit;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Hosting;
using OnePasswordConnector.Reviews;

namespace OnePasswordConnector.Evidence;

/// <summary>A JSON Web Key Set (RFC 7517 §5): the public keys that sign evidence packages.</summary>
public sealed record JsonWebKeySet(IReadOnlyList<EvidenceJsonWebKey> Keys);

/// <summary>An EC P-256 public key as a JWK (RFC 7518 §6.2); kid is the SHA-256 (hex) of its DER SubjectPublicKeyInfo.</summary>
public sealed record EvidenceJsonWebKey(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);

internal static class EvidenceApi
{
    public const string VerifyPath = "/api/v1/evidence/verify";

    /// <summary>GET .../reviews/{reviewId}/evidence, on the review's route group.</summary>
    public static RouteGroupBuilder MapEvidenceApi(this RouteGroupBuilder review)
    {
        review.MapGet("/evidence", Download).WithTags("Evidence").WithName("DownloadEvidence")
            .WithSummary("The review's signed evidence package (zip)")
            .WithDescription("users.csv, groups.csv, memberships.csv, changes-since-last-review.csv, sync-run.json, SHA256SUMS, manifest.json, " +
                             "manifest.sig (ES256, DER) and evidence-key.pem. The data files are byte-identical for every download of a review; " +
                             "the manifest names this download's audit entry. See docs/evidence.md for how to verify one.")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip");
        return review;
    }

    /// <summary>The anonymous key set and the verify endpoint under /api/v1/evidence.</summary>
    public static WebApplication MapEvidenceKeys(this WebApplication app)
    {
        var evidence = app.MapGroup("/api/v1/evidence").WithTags("Evidence");
        evidence.MapGet("/keys", Keys).WithName("GetEvidenceKeys").AllowAnonymous()
            .WithSummary("The public keys that sign evidence packages, old ones included, as a JWKS");
        evidence.MapPost("/verify", Verify).WithName("VerifyEvidence").RequireAuthorization().RequireRateLimiting(RateLimiting.Policy)
            .WithSummary("Check an evidence package: its signature, and every file against the manifest")
            .WithDescription("Send the zip as the body (Content-Type: application/zip). 200 with intact true or false and which part fails; " +
                             "400 when the body is not a package.")
            .Accepts<IFormFile>("application/zip").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Download(
        Guid connectionId, Guid reviewId, RouteConnection connection, RouteReview review, AuditTrail audit, EvidencePackage package,
        TimeProvider time, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var (keyName, tenantId) = AuditTrail.Caller(httpContext) ?? throw new InvalidOperationException("The tenant filter admitted an unknown caller.");
        // The entry is written before the package is built, so the manifest can name it: a download that then fails is
        // still on record as attempted.
        var entry = await audit.RecordAsync(new AuditRecord(tenantId, keyName, "DownloadEvidence", httpContext.Request.Path, StatusCodes.Status200OK),
            Problems.TraceId(httpContext), cancellationToken);
        var zip = await package.BuildAsync(new EvidenceRequest(connection.Value, review.Value, keyName, entry, time.GetUtcNow()), cancellationToken);
        return TypedResults.File(zip, "application/zip", $"evidence-{reviewId}.zip");
    }

    internal static async Task<Ok<JsonWebKeySet>> Keys(EvidenceKeys keys, CancellationToken cancellationToken)
    {
        var set = new List<EvidenceJsonWebKey>();
        foreach (var (kid, pem) in await keys.PublicKeysAsync(cancellationToken))
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            var point = key.ExportParameters(false).Q;
            set.Add(new EvidenceJsonWebKey("EC", "P-256", Base64Url(point.X!), Base64Url(point.Y!), kid, "sig", "ES256"));
        }

        return TypedResults.Ok(new JsonWebKeySet(set));
    }

    internal static async Task<Results<Ok<VerificationResponse>, ProblemHttpResult>> Verify(
        HttpRequest request, EvidenceKeys keys, IOptions<EvidenceOptions> options, CancellationToken cancellationToken)
    {
        // ZipArchive needs a seekable stream; the body is bounded by Evidence:MaxVerifyBytes.
        await using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellationToken);
        body.Position = 0;
        var result = EvidenceVerifier.Verify(body, await keys.PublicKeysAsync(cancellationToken), 4 * options.Value.MaxVerifyBytes);
        return result is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an evidence package",
                detail: "The body is not a zip file, or unpacks beyond the size limit. Send the package downloaded from GET .../reviews/{reviewId}/evidence as the body, with Content-Type: application/zip.")
            : TypedResults.Ok(result);
    }

    private static string Base64Url(byte[] value) => System.Buffers.Text.Base64Url.EncodeToString(value);
}

internal static class EvidenceSetup
{
    public static IServiceCollection AddEvidence(this IServiceCollection services)
    {
        services.AddOptions<EvidenceOptions>().BindConfiguration(EvidenceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EvidenceKeys>();
        services.AddScoped<EvidencePackage>();
        services.AddSingleton(sp => new LargeBodyPath(EvidenceApi.VerifyPath, sp.GetRequiredService<IOptions<EvidenceOptions>>().Value.MaxVerifyBytes));
        return services;
    }
}
