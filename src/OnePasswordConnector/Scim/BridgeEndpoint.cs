namespace OnePasswordConnector.Scim;

/// <summary>Where a bridge's SCIM API is and the token to call it with. The token lives only in memory.</summary>
internal sealed record BridgeEndpoint(Uri ScimBase, string Token)
{
    public Uri Origin => new(ScimBase.GetLeftPart(UriPartial.Authority));

    public Uri Resolve(string relative) => new(ScimBase.AbsoluteUri.TrimEnd('/') + "/" + relative.TrimStart('/'));

    // Records print every property; this one must never print the token.
    public override string ToString() => ScimBase.AbsoluteUri;
}
