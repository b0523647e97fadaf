namespace OnePasswordConnector.Reviews;

internal static class ReviewsSetup
{
    /// <summary>The permission an API key needs to delete a review (ApiKeys:N:Permissions).</summary>
    public const string DeletePermission = "reviews:delete";

    public static IServiceCollection AddReviews(this IServiceCollection services) =>
        services.AddSingleton<FrozenSheets>().AddScoped<ReviewStore>().AddScoped<RouteReview>();
}
