namespace OnePasswordConnector.Scim;

/// <summary>
/// 1Password's built-in groups that administer the account. The bridge exposes them under these names; C# compares
/// them ignoring case, and SQL takes <see cref="LowerCaseNames"/> as a parameter, so the list lives only here.
/// </summary>
internal static class PrivilegedGroups
{
    public static readonly string[] Names = ["Owners", "Administrators"];

    public static readonly string[] LowerCaseNames = [.. Names.Select(n => n.ToLowerInvariant())];

    public static bool Contains(string displayName) => Names.Contains(displayName, StringComparer.OrdinalIgnoreCase);
}
