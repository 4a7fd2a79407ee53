using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics;
using Mlops.Hosting;
using Mlops.Serving.Hosting;
using Mlops.Serving.Inference;
using Mlops.Serving.Models;
using Mlops.Serving.Observability;
using Mlops.Serving.Routing;
using Mlops.Tracking;

namespace Mlops.Serving;

/// <summary>Adds the model server to the host's <see cref="MlopsBuilder"/>.</summary>
public static class ServingMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="ServingOptions"/> (from <c>Mlops:Serving</c> when the builder has configuration, then
    /// <paramref name="configure"/>; validated when the host starts), the <see cref="InferenceService"/> that serves the
    /// configured models, <see cref="ServingMetrics"/>, a hosted service that loads the models when the host starts, and
    /// what <c>app.MapInferenceProtocol()</c> needs (gRPC, the API key check, OpenTelemetry's Prometheus exporter).
    /// Models load through Mlops.Tracking's clients, so the builder needs <c>.AddTracking()</c> and the flavors the
    /// models use. Enrichers (<see cref="IInferenceRequestEnricher"/>) registered in the container run on every request.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddServing(this MlopsBuilder builder, Action<ServingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddServing(builder.Section(ServingOptions.SectionName), configure);
    }

    /// <summary>Registers serving as <see cref="AddServing(MlopsBuilder, Action{ServingOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Serving</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddServing(this MlopsBuilder builder, IConfiguration? configuration, Action<ServingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<ServingOptions, ServingOptionsValidator>(configuration, configure);
        var services = builder.Services;
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new ServingMetrics(provider.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(_ => new TrafficRandom(Random.Shared));
        services.TryAddSingleton(provider => new ModelLoader(() => provider.GetService<TrackingClient>() ?? throw new InvalidOperationException(
            "Mlops.Serving loads models through Mlops.Tracking, but no TrackingClient is registered: call .AddTracking() on the Mlops builder.")));
        services.TryAddSingleton<ServingInferenceService>();
        services.TryAddSingleton<InferenceService>(provider => provider.GetRequiredService<ServingInferenceService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, ServingHostedService>());

        // Models with OnlineFeatures get them from the feature store; requests of other models pass through.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceRequestEnricher, Features.FeatureStoreRequestEnricher>());

        // What app.MapInferenceProtocol() needs: gRPC, the API key check, and the Prometheus exporter on the serving meter.
        InferenceProtocolServices.Add(services);
        return builder;
    }
}
