using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Connections;

/// <summary>A connection's name: never blank, at most 200 characters once trimmed. Null passes: pair with <see cref="RequiredAttribute"/> where it must be given.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class ConnectionNameAttribute() : ValidationAttribute(Message)
{
    public const string Message = "The name is required and must be at most 200 characters.";
    public const int MaxLength = 200;

    public override bool IsValid(object? value) =>
        value is not string name || (!string.IsNullOrWhiteSpace(name) && name.Trim().Length <= MaxLength);
}

/// <summary>Minutes between automatic syncs: 15 to 43200 (a month).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class SyncIntervalAttribute : RangeAttribute
{
    public const int Min = 15;
    public const int Max = 43200;

    public SyncIntervalAttribute()
        : base(Min, Max) => ErrorMessage = $"The sync interval must be between {Min} and {Max} minutes.";
}

/// <summary>
/// A bearer token the bridge's Authorization header can carry. Null passes: pair with <see cref="RequiredAttribute"/>.
/// The message says where and what is wrong, never the token itself.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class BearerTokenAttribute : ValidationAttribute
{
    public const string Message = "The bearer token is required, at most 8192 characters, without spaces.";
    public const int MaxLength = 8192;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is string token && Problem(token) is { } problem ? new ValidationResult(problem, Member(validationContext)) : ValidationResult.Success;

    internal static string[] Member(ValidationContext context) => context.MemberName is { } name ? [name] : [];

    /// <summary>What is wrong with the token, or null when a bridge could be sent it.</summary>
    public static string? Problem(string token) =>
        string.IsNullOrWhiteSpace(token) || token.Length > MaxLength || token.Any(char.IsWhiteSpace) ? Message : UnsendableCharacter(token);

    /// <summary>
    /// The token goes into an Authorization header, which holds ASCII only; RFC 6750 §2.1 narrows a bearer token to
    /// b64token: letters, digits, "-._~+/", then "=" padding.
    /// </summary>
    private static string? UnsendableCharacter(string token)
    {
        var end = token.TrimEnd('=').Length;
        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            if (i < end ? char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/' : c == '=' && end > 0)
            {
                continue;
            }

            var what = c > '\x7f' ? "a non-ASCII character (often a typographic quote or an invisible space pasted with it)"
                : char.IsControl(c) ? "a control character"
                : "a character a bearer token cannot hold";
            return $"The bearer token has {what} at position {i + 1}. A bearer token holds only ASCII letters, digits and - . _ ~ + /, " +
                   "with = only at the end (RFC 6750): copy it again from 1Password.";
        }

        return null;
    }
}

/// <summary>
/// A bridge URL <see cref="BridgeUrl.TryParse"/> accepts under the current <see cref="BridgeUrlPolicy"/>, read from the
/// request's services.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
internal sealed class BridgeUrlRuleAttribute : ValidationAttribute
{
    public override bool RequiresValidationContext => true;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var policy = validationContext.GetRequiredService<IOptionsMonitor<BridgeUrlPolicy>>().CurrentValue;
        return BridgeUrl.TryParse(value as string, policy, out _, out var error) ? ValidationResult.Success : new ValidationResult(error, BearerTokenAttribute.Member(validationContext));
    }
}
