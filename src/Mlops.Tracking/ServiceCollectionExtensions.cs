using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Storage;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Stores;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Mlops.Tracking with a host's services.</summary>
public static class MlopsTrackingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the tracking store (<see cref="ITrackingStore"/>) and model registry store (<see cref="IModelRegistryStore"/>)
    /// the tracking URI names, unless already registered (so tests can put in-memory ones first), and a
    /// <see cref="TrackingClient"/> over them. Options are validated when the host starts. Uses the container's
    /// <see cref="StorageResolver"/> and <see cref="TimeProvider"/> if registered.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets options in code.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsTracking(this IServiceCollection services, Action<TrackingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>Registers Mlops.Tracking with options bound from <paramref name="configuration"/> (the <c>Mlops:Tracking</c> section).</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The <c>Mlops:Tracking</c> section.</param>
    /// <param name="configure">Overrides options in code.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsTracking(this IServiceCollection services, IConfiguration configuration, Action<TrackingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = AddCore(services).Bind(configuration);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return services;
    }

    private static OptionsBuilder<TrackingOptions> AddCore(IServiceCollection services)
    {
        services.TryAddSingleton<ITrackingStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<TrackingOptions>>().Value;
            return TrackingStores.Open(options.TrackingUri, options.DefaultArtifactRoot, provider.GetService<TimeProvider>());
        });
        services.TryAddSingleton<IModelRegistryStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<TrackingOptions>>().Value;
            return TrackingStores.OpenRegistry(options.TrackingUri, provider.GetService<TimeProvider>())
                ?? throw MlflowException.InvalidParameter($"The tracking URI '{options.TrackingUri}' has no model registry.");
        });
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<TrackingOptions>>().Value;
            return new TrackingClient(
                provider.GetRequiredService<ITrackingStore>(),
                provider.GetRequiredService<IModelRegistryStore>(),
                provider.GetService<StorageResolver>(),
                provider.GetService<TimeProvider>())
            {
                AsyncQueueCapacity = options.AsyncQueueCapacity,
                AsyncFlushInterval = options.AsyncFlushInterval,
                Flavors = provider.GetRequiredService<ModelFlavorRegistry>(),
            };
        });
        services.TryAddSingleton(provider => provider.GetRequiredService<TrackingClient>().Registry!);
        ModelFlavorMlopsBuilderExtensions.AddFlavorRegistry(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TrackingOptions>, TrackingOptionsValidator>());
        return services.AddOptions<TrackingOptions>().ValidateDataAnnotations().ValidateOnStart();
    }
}
