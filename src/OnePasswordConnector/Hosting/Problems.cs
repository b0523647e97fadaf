using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OnePasswordConnector.Hosting;

internal static class Problems
{
    public const string SendJson = "Send the body as a JSON object, with the header Content-Type: application/json.";

    /// <summary>Every error the API gives is an RFC 7807 problem with a trace id, whoever produced it.</summary>
    public static IServiceCollection AddProblemHandling(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions["traceId"] = TraceId(context.HttpContext);
            if (context.ProblemDetails is not HttpValidationProblemDetails && context.ProblemDetails.Detail is null)
            {
                DescribeBareStatus(context.ProblemDetails, context.HttpContext);
            }
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures throw, so the handler below can say what was wrong instead of an empty 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    public static WebApplication UseProblemHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    public static string TraceId(HttpContext context) => Activity.Current?.Id ?? context.TraceIdentifier;

    /// <summary>Routing (404, 405, 415) and body binding (413) answer with a status alone: these say what to do about it.</summary>
    private static void DescribeBareStatus(ProblemDetails problem, HttpContext context)
    {
        (problem.Title, problem.Detail) = problem.Status switch
        {
            StatusCodes.Status404NotFound => ("Not found",
                "Nothing is at this path. Compare it with the API reference at /swagger: connection and sync run ids are GUIDs."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed",
                $"This path does not take {context.Request.Method}. The API reference at /swagger lists the methods of each path."),
            StatusCodes.Status413PayloadTooLarge => ("Request body too large",
                $"Request bodies are limited to {context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes."),
            StatusCodes.Status415UnsupportedMediaType => ("Unsupported media type", SendJson),
            _ => (problem.Title, problem.Detail),
        };
    }
}

internal sealed class ProblemExceptionHandler(
    IProblemDetailsService problems, NpgsqlDataSource database, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException refused)
        {
            return await WriteRefusalAsync(httpContext, refused);
        }

        var (status, title, detail) = exception switch
        {
            _ when IsDatabaseUnavailable(exception) =>
                (StatusCodes.Status503ServiceUnavailable, "Service unavailable", "The database is unavailable. Try again shortly."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                (499, "Client closed request", "The request was cancelled by the client."),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error", "An unexpected error occurred. Quote the traceId when reporting it."),
        };

        if (status >= 500 && status != 503)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }
        else if (status == 503)
        {
            // Idle pooled connections are dead after a database restart; the next request should open fresh ones.
            database.Clear();
            logger.LogWarning("Database unavailable for {Method} {Path}: {Reason}", httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name);
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>
    /// A request the framework could not bind (no body, a body that is not JSON or not the expected JSON, another media type):
    /// the caller is told in the API's terms what to send; the framework's own words go to the log with the trace id.
    /// </summary>
    private async Task<bool> WriteRefusalAsync(HttpContext httpContext, BadHttpRequestException refused)
    {
        logger.LogInformation("Refused {Method} {Path} with {StatusCode} (trace {TraceId}): {Reason}", httpContext.Request.Method,
            httpContext.Request.Path, refused.StatusCode, Problems.TraceId(httpContext), refused.InnerException?.Message ?? refused.Message);

        // The exception handler runs with the endpoint cleared; the feature keeps the one that failed.
        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
        var body = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        var problem = refused switch
        {
            // 415 (a body that is not JSON) and any other status get their title and detail from DescribeBareStatus.
            { StatusCode: not StatusCodes.Status400BadRequest } => new ProblemDetails { Status = refused.StatusCode },
            { InnerException: InvalidTextException text } => FieldProblem(Field(text.Path) ?? "body", text.Message),
            { InnerException: JsonException { InnerException: JsonException } syntax } => Bad(
                $"The body is not valid JSON (line {syntax.LineNumber + 1}, byte {syntax.BytePositionInLine + 1}). {Problems.SendJson}{Fields(body)}"),
            { InnerException: JsonException mismatch } when Field(mismatch.Path) is { } field =>
                FieldProblem(field, $"must be {Expected(body, field)}"),
            { InnerException: JsonException } => Bad($"The body must be a JSON object.{Fields(body)}"),
            _ when body is not null => Bad($"This request needs a body. {Problems.SendJson}{Fields(body)}"),
            _ => Bad("A value in the path or query string is not in the form this endpoint takes. Compare the request with the API reference at /swagger."),
        };

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem });
    }

    private static ProblemDetails Bad(string detail) =>
        new() { Status = StatusCodes.Status400BadRequest, Title = "Bad request", Detail = detail };

    private static HttpValidationProblemDetails FieldProblem(string field, string problem) =>
        new(new Dictionary<string, string[]> { [field] = [$"The {field} field {problem}."] }) { Status = StatusCodes.Status400BadRequest };

    /// <summary>The top-level field a System.Text.Json path such as <c>$.name</c> or <c>$.name[0]</c> points into.</summary>
    private static string? Field(string? path) =>
        path is not null && path.StartsWith("$.", StringComparison.Ordinal) && path[2..].Split('.', '[')[0] is { Length: > 0 } field
            ? field
            : null;

    private string Fields(Type? body) => body is null
        ? ""
        : $" Its fields: {string.Join(", ", json.Value.SerializerOptions.GetTypeInfo(body).Properties.Select(p => p.Name))}.";

    private string Expected(Type? body, string field)
    {
        var property = body is null ? null : json.Value.SerializerOptions.GetTypeInfo(body).Properties.FirstOrDefault(p => p.Name == field);
        var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type switch
        {
            _ when type == typeof(string) => "a string in double quotes",
            _ when type == typeof(int) => "a whole number no larger than 2147483647",
            _ when type == typeof(long) => "a whole number",
            _ when type == typeof(bool) => "true or false",
            _ => "of the type the API reference at /swagger gives",
        };
    }

    private static bool IsDatabaseUnavailable(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
