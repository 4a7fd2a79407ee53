using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Features.FeatureStore;
using Mlops.Features.Server.Http;

namespace Mlops.Features.Server;

/// <summary>Maps the Feast-compatible feature server into an ASP.NET Core app.</summary>
public static class FeatureServerEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps Feast's Python feature server endpoints over the host's <see cref="FeatureStoreClient"/> (register it with
    /// <c>AddMlops().AddFeatureStore()</c> and an online store): <c>POST /get-online-features</c>, <c>POST /push</c>,
    /// <c>POST /write-to-online-store</c>, <c>POST /materialize</c>, <c>POST /materialize-incremental</c> and
    /// <c>GET /health</c>, with Feast's request and response JSON. Bad input gets a 4xx with Feast's error body
    /// (<c>{"module", "class", "message"}</c>) naming the feature, view, column or row at fault.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="configure">Adjusts <see cref="FeatureServerOptions"/> (the body limit).</param>
    /// <returns>The group of endpoints, to add conventions to (authorization, a route prefix is set with <c>MapGroup</c> first).</returns>
    /// <exception cref="InvalidOperationException">The app's services have no <see cref="FeatureStoreClient"/>.</exception>
    public static IEndpointConventionBuilder MapFeatureServer(this IEndpointRouteBuilder endpoints, Action<FeatureServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = new FeatureServerOptions();
        configure?.Invoke(options);
        if (options.MaxRequestBodyBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(configure), options.MaxRequestBodyBytes, "FeatureServerOptions.MaxRequestBodyBytes must be positive.");
        }

        // Checked now, built at the first request: building the client here would run its options' validation before
        // the host starts and reports it.
        var services = endpoints.ServiceProvider;
        if (services.GetService<IServiceProviderIsService>() is { } known && !known.IsService(typeof(FeatureStoreClient)))
        {
            throw new InvalidOperationException("MapFeatureServer needs a FeatureStoreClient in the app's services; register one with services.AddMlops().AddFeatureStore() and an online store (e.g. .AddSqliteOnlineStore()).");
        }

        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Mlops.Features.Server.FeatureServer") ?? NullLogger.Instance;
        var handlers = new FeatureServerHandlers(services.GetRequiredService<FeatureStoreClient>, options.MaxRequestBodyBytes, logger);

        var group = endpoints.MapGroup(string.Empty);
        group.MapPost("/get-online-features", handlers.GetOnlineFeaturesAsync);
        group.MapPost("/push", handlers.PushAsync);
        group.MapPost("/write-to-online-store", handlers.WriteToOnlineStoreAsync);
        group.MapPost("/materialize", handlers.MaterializeAsync);
        group.MapPost("/materialize-incremental", handlers.MaterializeIncrementalAsync);
        group.MapGet("/health", handlers.HealthAsync);
        return group;
    }
}
