using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Rest;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Server;

/// <summary>
/// Maps MLflow's REST API 2.0 (tracking and model registry) onto the <see cref="ITrackingStore"/> and
/// <see cref="IModelRegistryStore"/> registered in the container, under <c>/api/2.0/mlflow/</c> and
/// <c>/ajax-api/2.0/mlflow/</c>, with MLflow's JSON shapes, error bodies (<c>{"error_code", "message"}</c>) and
/// status codes, and its limits (enforced by the stores).
/// </summary>
public static class MlflowRestApi
{
    private static readonly string[] s_prefixes = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"];

    /// <summary>Maps the API. The stores come from the container (<c>services.AddMlops().AddTracking()</c> registers them).</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <returns><paramref name="endpoints"/>, for chaining.</returns>
    public static IEndpointRouteBuilder MapMlflowRestApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var prefix in s_prefixes)
        {
            foreach (var (method, path, handler) in TrackingEndpoints.All.Concat(RegistryEndpoints.All))
            {
                endpoints.MapMethods(prefix + path, [method], context => HandleAsync(context, handler));
            }

            endpoints.Map(prefix + "{**rest}", context => WriteErrorAsync(context, new MlflowException(
                MlflowErrorCodes.EndpointNotFound, $"No API endpoint {context.Request.Method} {context.Request.Path}.")));
        }

        endpoints.MapGet("/health", () => "OK");
        endpoints.MapGet("/version", () => "2.0 (Mlops.Tracking.Server)");
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, Func<Handler, Task<JsonObject>> handler)
    {
        try
        {
            var request = await MlflowRequest.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            var services = context.RequestServices;
            var response = await handler(new Handler(request, services.GetRequiredService<ITrackingStore>(), services.GetService<IModelRegistryStore>(), context.RequestAborted)).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(MlflowJson.Serialize(response), context.RequestAborted).ConfigureAwait(false);
        }
        catch (MlflowException e)
        {
            await WriteErrorAsync(context, e).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            await WriteErrorAsync(context, new MlflowException(MlflowErrorCodes.InvalidParameterValue, e.Message, e)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(MlflowRestApi)).LogError(e, "Unexpected error in {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteErrorAsync(context, new MlflowException(MlflowErrorCodes.InternalError, e.Message, e)).ConfigureAwait(false);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, MlflowException error)
    {
        context.Response.StatusCode = error.HttpStatusCode;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(MlflowJson.Serialize(MlflowJson.Error(error.ErrorCode, error.Message)));
    }
}

/// <summary>What an endpoint handler gets: the request as JSON and the stores.</summary>
internal sealed record Handler(JsonObject Request, ITrackingStore Tracking, IModelRegistryStore? RegistryStore, CancellationToken CancellationToken)
{
    public IModelRegistryStore Registry => RegistryStore ?? throw new MlflowException(MlflowErrorCodes.EndpointNotFound, "This server has no model registry.");

    public string Required(string name) => MlflowJson.Required(Request, name);

    public string? Optional(string name) => MlflowJson.Str(Request, name);

    public long? Long(string name) => MlflowJson.Long(Request, name);

    public int MaxResults(int fallback) => (int)(Long("max_results") ?? fallback);

    public IReadOnlyList<string> OrderBy() => MlflowJson.Strings(Request, "order_by");
}
