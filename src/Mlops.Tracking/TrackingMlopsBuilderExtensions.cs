using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Hosting;
using Mlops.Storage;
using Mlops.Tracking.Models;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking;

/// <summary>Adds Mlops tracking to the host's <see cref="MlopsBuilder"/>.</summary>
public static class TrackingMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="TrackingOptions"/> (from <c>Mlops:Tracking</c> when the builder has configuration, then
    /// <paramref name="configure"/>; validated when the host starts), the tracking store (<see cref="ITrackingStore"/>)
    /// and model registry store (<see cref="IModelRegistryStore"/>) the tracking URI names, unless already registered (so
    /// tests can put in-memory ones first), a <see cref="TrackingClient"/> over them and its <see cref="ModelRegistryClient"/>.
    /// Uses the container's <see cref="StorageResolver"/> and <see cref="TimeProvider"/> when registered.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddTracking(this MlopsBuilder builder, Action<TrackingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddTracking(builder.Section(TrackingOptions.SectionName), configure);
    }

    /// <summary>Registers tracking as <see cref="AddTracking(MlopsBuilder, Action{TrackingOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Tracking</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddTracking(this MlopsBuilder builder, IConfiguration? configuration, Action<TrackingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<TrackingOptions, TrackingOptionsValidator>(configuration, configure);
        var services = builder.Services;
        services.TryAddSingleton<ITrackingStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<TrackingOptions>>().Value;
            return TrackingStores.Open(options.TrackingUri, options.DefaultArtifactRoot, provider.GetService<TimeProvider>(), options.Durability, options.BusyTimeout);
        });
        services.TryAddSingleton<IModelRegistryStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<TrackingOptions>>().Value;
            return TrackingStores.OpenRegistry(options.TrackingUri, provider.GetService<TimeProvider>(), options.Durability, options.BusyTimeout)
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
                Flavors = provider.GetRequiredService<ModelFlavorRegistry>(),
                AsyncQueueCapacity = options.AsyncQueueCapacity,
                AsyncFlushInterval = options.AsyncFlushInterval,
            };
        });
        services.TryAddSingleton(provider => provider.GetRequiredService<TrackingClient>().Registry);
        ModelFlavorMlopsBuilderExtensions.AddFlavorRegistry(services);
        return builder;
    }
}
