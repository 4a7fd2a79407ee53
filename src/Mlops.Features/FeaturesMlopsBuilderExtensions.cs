using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Hosting;
using Mlops.Storage;

namespace Mlops.Features;

/// <summary>Adds Mlops frames to the host's <see cref="MlopsBuilder"/>.</summary>
public static class FeaturesMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="FeaturesOptions"/> (from <c>Mlops:Features</c> when the builder has configuration, then
    /// <paramref name="configure"/>; validated when the host starts) and a singleton <see cref="FrameSession"/> that
    /// reads and writes through the host's <see cref="StorageResolver"/> with the configured degree of parallelism.
    /// Adds storage (<c>.AddStorage()</c>) too when it has not been added.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddFeatures(this MlopsBuilder builder, Action<FeaturesOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddFeatures(builder.Section(FeaturesOptions.SectionName), configure);
    }

    /// <summary>Registers frames as <see cref="AddFeatures(MlopsBuilder, Action{FeaturesOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Features</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddFeatures(this MlopsBuilder builder, IConfiguration? configuration, Action<FeaturesOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(StorageResolver)))
        {
            builder.AddStorage();
        }

        builder.AddOptions<FeaturesOptions, FeaturesOptionsValidator>(configuration, configure);
        builder.Services.TryAddSingleton(provider => new FrameSession(
            provider.GetRequiredService<IOptions<FeaturesOptions>>().Value,
            provider.GetRequiredService<StorageResolver>()));
        return builder;
    }
}
