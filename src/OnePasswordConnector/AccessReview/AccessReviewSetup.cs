namespace OnePasswordConnector.AccessReview;

internal static class AccessReviewSetup
{
    public static IServiceCollection AddAccessReview(this IServiceCollection services) =>
        services.AddSingleton<AccessReviewQueries>();
}
