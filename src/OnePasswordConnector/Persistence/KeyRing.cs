using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace OnePasswordConnector.Persistence;

/// <summary>One certificate of the key ring: a PKCS#12 file with its password, or a PEM certificate with its PEM key.</summary>
internal sealed class KeyRingCertificate
{
    public string? Path { get; set; }

    public string? Password { get; set; }

    /// <summary>For a PEM certificate: the file holding its private key.</summary>
    public string? KeyPath { get; set; }

    public X509Certificate2 Load()
    {
        var path = Path ?? throw new InvalidOperationException("A key ring certificate has no Path.");
        var certificate = (KeyPath, Password) switch
        {
            ({ Length: > 0 } keyPath, { Length: > 0 } password) => X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath),
            ({ Length: > 0 } keyPath, _) => X509Certificate2.CreateFromPemFile(path, keyPath),
            _ => X509CertificateLoader.LoadPkcs12FromFile(path, Password),
        };
        return certificate.GetRSAPrivateKey() is null ? throw NoKey(path) : certificate;
    }

    private static InvalidOperationException NoKey(string path) =>
        new($"The key ring certificate {System.IO.Path.GetFileName(path)} has no RSA private key; Data Protection needs one to encrypt its keys.");
}

/// <summary>
/// Where the Data Protection key ring is kept and how it is encrypted at rest. The ring lives in PostgreSQL so every
/// replica shares it; a certificate kept outside the database makes a stolen database dump useless for decrypting
/// bridge tokens.
/// </summary>
internal sealed class KeyRingOptions : IValidatableObject
{
    public const string Section = "DataProtection";

    /// <summary>The certificate new keys are encrypted with (PKCS#12, or PEM with <see cref="CertificateKeyPath"/>).</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    public string? CertificateKeyPath { get; set; }

    /// <summary>Certificates of earlier rotations, kept so that keys written under them can still be read.</summary>
    public List<KeyRingCertificate> PreviousCertificates { get; set; } = [];

    /// <summary>Refuse to start without a certificate instead of warning.</summary>
    public bool RequireCertificate { get; set; }

    public KeyRingCertificate? Current => CertificatePath is { Length: > 0 }
        ? new KeyRingCertificate { Path = CertificatePath, Password = CertificatePassword, KeyPath = CertificateKeyPath }
        : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RequireCertificate && Current is null)
        {
            yield return new ValidationResult(
                "DataProtection:RequireCertificate is true but DataProtection:CertificatePath is not set: the key ring would be stored unencrypted.",
                [nameof(CertificatePath)]);
        }

        foreach (var certificate in PreviousCertificates.Prepend(Current).OfType<KeyRingCertificate>())
        {
            string? error = null;
            try
            {
                certificate.Load().Dispose();
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                error = $"The key ring certificate {Path.GetFileName(certificate.Path)} cannot be loaded: {ex.Message}";
            }

            if (error is not null)
            {
                yield return new ValidationResult(error, [nameof(CertificatePath)]);
            }
        }
    }
}

internal static class KeyRing
{
    public static IServiceCollection AddKeyRing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KeyRingOptions>().BindConfiguration(KeyRingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var builder = services.AddDataProtection()
            .SetApplicationName("OnePasswordConnector")
            .PersistKeysToDbContext<ConnectorDbContext>();
        if (TryLoad(options.Current) is { } current)
        {
            var readable = options.PreviousCertificates.Select(TryLoad).OfType<X509Certificate2>().Prepend(current).ToArray();
            builder.ProtectKeysWithCertificate(current).UnprotectKeysWithAnyCertificate(readable);
        }

        services.AddHostedService<KeyRingCheck>();
        return services;
    }

    // A certificate that does not load is reported by the options validation at start, with its reason.
    private static X509Certificate2? TryLoad(KeyRingCertificate? certificate)
    {
        try
        {
            return certificate?.Load();
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed class KeyRingCheck(IOptions<KeyRingOptions> options, IHostEnvironment environment, ILogger<KeyRingCheck> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Value.Current is null && environment.IsProduction())
            {
                logger.LogWarning(
                    "The Data Protection key ring is stored in PostgreSQL without encryption: set DataProtection:CertificatePath so that a copy of the database cannot decrypt the bridge tokens");
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
