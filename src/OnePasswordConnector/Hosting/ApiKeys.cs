using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OnePasswordConnector.Hosting;

/// <summary>One caller of the API. Only the SHA-256 of its key is configured, never the key itself.</summary>
internal sealed class ApiKey
{
    [Required]
    public string Name { get; set; } = "";

    [Required, RegularExpression("^[0-9a-fA-F]{64}$", ErrorMessage = "Sha256 must be 64 hex characters: the SHA-256 of the key.")]
    public string Sha256 { get; set; } = "";

    /// <summary>The tenant this key may touch, or <c>*</c> for every tenant.</summary>
    [Required]
    public string Tenant { get; set; } = "";

    /// <summary>
    /// What this key may do beyond reading and managing its tenant's connections, e.g. <c>reviews:delete</c>.
    /// A key without a permission an endpoint requires gets 403.
    /// </summary>
    public List<string> Permissions { get; set; } = [];
}

internal sealed class ApiKeysOptions : IValidatableObject
{
    public const string Section = "ApiKeys";

    public List<ApiKey> Keys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var key in Keys)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(key, new ValidationContext(key), results, validateAllProperties: true))
            {
                foreach (var result in results)
                {
                    yield return new ValidationResult($"ApiKeys entry '{key.Name}': {result.ErrorMessage}");
                }
            }
        }
    }
}

internal static partial class ApiKeyAuthentication
{
    public const string Scheme = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string TenantClaim = "tenant";
    public const string AllTenants = "*";
    public const string PermissionClaim = "permission";

    public static IServiceCollection AddApiKeys(this IServiceCollection services)
    {
        // The section is a plain list (ApiKeys__0__Name, ...), so it binds into Keys rather than onto the options.
        services.AddOptions<ApiKeysOptions>()
            .Configure<IConfiguration>((options, configuration) => configuration.GetSection(ApiKeysOptions.Section).Bind(options.Keys))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(Scheme, null);
        services.AddAuthorization();
        return services;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial System.Text.RegularExpressions.Regex TenantIdPattern();

    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>
    /// A key for one tenant that names another tenant gets 404, exactly like a tenant that does not exist,
    /// so a caller cannot learn which tenants exist.
    /// </summary>
    public static RouteGroupBuilder RequireTenantAccess(this RouteGroupBuilder group)
    {
        group.RequireAuthorization().RequireRateLimiting(RateLimiting.Policy);
        group.AddEndpointFilter(async (context, next) =>
        {
            var tenantId = context.HttpContext.GetRouteValue("tenantId") as string;
            var allowed = context.HttpContext.User.FindFirstValue(TenantClaim);
            // A tenant id that could never be stored is a tenant that does not exist, whoever asks.
            if (tenantId is null || !TenantIdPattern().IsMatch(tenantId)
                || (allowed != AllTenants && !string.Equals(allowed, tenantId, StringComparison.Ordinal)))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                    detail: "No such tenant.");
            }

            return await next(context);
        });
        return group;
    }

    /// <summary>
    /// Only a key configured with <paramref name="permission"/> may call the endpoint; others get 403. Checked by an
    /// endpoint filter, after the tenant filter, so a key of another tenant still meets the same 404 as everywhere.
    /// </summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiredPermission(permission));
        builder.AddEndpointFilter(async (context, next) =>
            context.HttpContext.User.HasClaim(PermissionClaim, permission)
                ? await next(context)
                : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                    detail: $"This API key lacks the permission '{permission}'. Add it to the key's Permissions in the ApiKeys settings."));
        return builder;
    }
}

/// <summary>Endpoint metadata: the permission a key needs beyond access to the tenant.</summary>
internal sealed record RequiredPermission(string Permission);

internal sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<ApiKeysOptions> keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeyAuthentication.HeaderName, out var values) || string.IsNullOrEmpty(values.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(values.ToString()));
        ApiKey? match = null;
        // Every configured key is compared, in constant time, so timing says nothing about which key came close.
        foreach (var key in keys.CurrentValue.Keys)
        {
            var expected = Convert.FromHexString(key.Sha256);
            if (CryptographicOperations.FixedTimeEquals(presented, expected))
            {
                match = key;
            }
        }

        if (match is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("Invalid API key."));
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, match.Name), new Claim(ApiKeyAuthentication.TenantClaim, match.Tenant),
                .. match.Permissions.Select(p => new Claim(ApiKeyAuthentication.PermissionClaim, p)),
            ],
            ApiKeyAuthentication.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyAuthentication.Scheme)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = ApiKeyAuthentication.Scheme;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = $"Send a valid API key in the {ApiKeyAuthentication.HeaderName} header.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = "Forbidden" },
        });
    }
}
