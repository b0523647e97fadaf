namespace OnePasswordConnector.Hosting;

/// <summary>A source of randomness that tests can replace (scheduling and retry jitter).</summary>
internal interface IJitterSource
{
    /// <summary>A number in [0, 1).</summary>
    double Next();
}

internal sealed class SharedRandomJitter : IJitterSource
{
    public double Next() => Random.Shared.NextDouble();
}
