using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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

    /// <summary>Maps the API with the default <see cref="MlflowRestApiOptions"/>. The stores come from the container (<c>services.AddMlops().AddTracking()</c> registers them).</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <returns><paramref name="endpoints"/>, for chaining.</returns>
    public static IEndpointRouteBuilder MapMlflowRestApi(this IEndpointRouteBuilder endpoints) => endpoints.MapMlflowRestApi(new MlflowRestApiOptions());

    /// <summary>Maps the API. The stores come from the container (<c>services.AddMlops().AddTracking()</c> registers them).</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="options">The allowed cross-site origins and the request body limit.</param>
    /// <returns><paramref name="endpoints"/>, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MlflowRestApiOptions.MaxRequestBodySize"/> is not positive.</exception>
    public static IEndpointRouteBuilder MapMlflowRestApi(this IEndpointRouteBuilder endpoints, MlflowRestApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxRequestBodySize, nameof(options) + "." + nameof(MlflowRestApiOptions.MaxRequestBodySize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxRequestTargetLength, nameof(options) + "." + nameof(MlflowRestApiOptions.MaxRequestTargetLength));
        var allowed = new HashSet<string>(options.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
        foreach (var prefix in s_prefixes)
        {
            foreach (var (method, path, handler) in Routes)
            {
                endpoints.MapMethods(prefix + path, [method], context => HandleAsync(context, path, handler, options, allowed));
            }

            endpoints.Map(prefix + "{**rest}", context => HttpMethods.IsOptions(context.Request.Method)
                ? PreflightAsync(context, allowed)
                : WriteErrorAsync(context, new MlflowException(MlflowErrorCodes.EndpointNotFound, $"No API endpoint {context.Request.Method} {context.Request.Path}.")));
        }

        endpoints.MapGet("/health", () => "OK");
        endpoints.MapGet("/version", () => "2.0 (Mlops.Tracking.Server)");
        return endpoints;
    }

    /// <summary>Every endpoint of the API: method, path under the prefix, handler.</summary>
    internal static IEnumerable<(string Method, string Path, Func<Handler, Task<JsonObject>> Handle)> Routes => TrackingEndpoints.All.Concat(RegistryEndpoints.All);

    private static async Task HandleAsync(HttpContext context, string endpoint, Func<Handler, Task<JsonObject>> handler, MlflowRestApiOptions options, HashSet<string> allowed)
    {
        try
        {
            CheckTargetLength(context, options);
            var origin = context.Request.Headers.Origin.ToString();
            if (origin.Length > 0)
            {
                if (!IsAllowedOrigin(context, origin, allowed))
                {
                    if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                    {
                        throw new MlflowRequestRefusedException(StatusCodes.Status403Forbidden, PermissionDenied,
                            $"Cross-site request refused: origin '{origin}' may not call {context.Request.Method} {context.Request.Path}.");
                    }
                }
                else
                {
                    context.Response.Headers.AccessControlAllowOrigin = origin;
                    context.Response.Headers.Vary = "Origin";
                }
            }

            var request = await MlflowRequest.ReadAsync(context, endpoint, options, context.RequestAborted).ConfigureAwait(false);
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
        catch (SqliteException e) when (StoreLimit(e) is { } limit)
        {
            // The one place where SQLite's own limits (hit by a request's size, not by a fault) become a 400.
            await WriteErrorAsync(context, new MlflowException(MlflowErrorCodes.InvalidParameterValue,
                $"The request exceeds a limit of the store ({limit}): shorten the 'filter' or the 'experiment_ids' / 'order_by' lists.", e)).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await WriteErrorAsync(context, new MlflowRequestRefusedException(e.StatusCode, MlflowErrorCodes.BadRequest, "The request could not be read: " + e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception text stays in the log: it may carry SQL, paths or stack details a client must not see.
            context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(MlflowRestApi)).LogError(e, "Unexpected error in {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteErrorAsync(context, new MlflowException(MlflowErrorCodes.InternalError,
                $"Internal error in {context.Request.Method} {context.Request.Path}; the server log has the details.", e)).ConfigureAwait(false);
        }
    }

    private static void CheckTargetLength(HttpContext context, MlflowRestApiOptions options)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value + context.Request.QueryString.Value;
        if (target.Length > options.MaxRequestTargetLength)
        {
            throw new MlflowRequestRefusedException(StatusCodes.Status414UriTooLong, MlflowErrorCodes.BadRequest, string.Create(CultureInfo.InvariantCulture,
                $"The request URL has {target.Length} characters, over the limit of {options.MaxRequestTargetLength}: send long parameters in a POST body where the endpoint takes one."));
        }
    }

    private static string? StoreLimit(SqliteException e)
    {
        string[] limits = ["too many terms", "expression tree is too large", "LIKE or GLOB pattern too complex", "too many SQL variables", "at most 64 tables in a join", "too many columns"];
        return limits.FirstOrDefault(l => e.Message.Contains(l, StringComparison.OrdinalIgnoreCase)) is { } hit ? "SQLite: " + hit : null;
    }

    private const string PermissionDenied = "PERMISSION_DENIED";

    /// <summary>Allowed: listed origins, the request's own Host, and loopback origins on the server's own port.</summary>
    private static bool IsAllowedOrigin(HttpContext context, string origin, HashSet<string> allowed)
    {
        if (allowed.Contains(origin.TrimEnd('/')))
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
        {
            return false;
        }

        if (string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase) && context.Request.Host.HasValue)
        {
            return true;
        }

        return uri.IsLoopback && uri.Port == context.Connection.LocalPort;
    }

    private static async Task PreflightAsync(HttpContext context, HashSet<string> allowed)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0 || !IsAllowedOrigin(context, origin, allowed))
        {
            await WriteErrorAsync(context, new MlflowRequestRefusedException(StatusCodes.Status403Forbidden, PermissionDenied,
                $"CORS preflight refused: origin '{origin}' is not allowed.")).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.Headers.AccessControlAllowOrigin = origin;
        context.Response.Headers.AccessControlAllowMethods = "GET, POST, PATCH, DELETE, OPTIONS";
        context.Response.Headers.AccessControlAllowHeaders = "Content-Type, Authorization";
        context.Response.Headers.Vary = "Origin";
    }

    private static Task WriteErrorAsync(HttpContext context, MlflowException error)
    {
        context.Response.StatusCode = error is MlflowRequestRefusedException refused ? refused.Status : error.HttpStatusCode;
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

    /// <summary>The page size: at least 1 and at most the endpoint's maximum (MLflow's), checked as the 64-bit number sent, so 2^32 + 1 is refused rather than wrapped to 1.</summary>
    public int MaxResults(int fallback, int maximum)
    {
        var value = Long("max_results") ?? fallback;
        if (value < 1 || value > maximum)
        {
            throw MlflowException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                $"Invalid value {value} for parameter 'max_results' supplied. It must be at most {maximum}, and at least 1."));
        }

        return (int)value;
    }

    public IReadOnlyList<string> OrderBy() => MlflowJson.Strings(Request, "order_by");
}
