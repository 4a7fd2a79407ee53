using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.FeatureStore.Registry;
using Mlops.Hosting;
using Mlops.Storage;

namespace Mlops.Features.FeatureStore;

/// <summary>Adds the feature store to the host's <see cref="MlopsBuilder"/>.</summary>
public static class FeatureStoreMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="FeatureStoreOptions"/> (from <c>Mlops:FeatureStore</c>, then <paramref name="configure"/>;
    /// validated at start), a <see cref="FeatureRegistry"/> (SQLite at <see cref="FeatureStoreOptions.Registry"/>, or a
    /// JSON file when it ends in <c>.json</c>) and a singleton <see cref="FeatureStoreClient"/>. The
    /// <see cref="OnlineStore"/> comes from the container: register one (an online-store package's <c>AddXxxOnlineStore()</c>,
    /// or <c>services.AddSingleton&lt;OnlineStore&gt;(...)</c>); the host fails at start, saying so, when none is.
    /// Adds frames (<c>.AddFeatures()</c>) when they have not been added.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddFeatureStore(this MlopsBuilder builder, Action<FeatureStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddFeatureStore(builder.Section(FeatureStoreOptions.SectionName), configure);
    }

    /// <summary>Registers the feature store as <see cref="AddFeatureStore(MlopsBuilder, Action{FeatureStoreOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:FeatureStore</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddFeatureStore(this MlopsBuilder builder, IConfiguration? configuration, Action<FeatureStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(FrameSession)))
        {
            builder.AddFeatures();
        }

        MlopsOptions.Register<FeatureStoreOptions, FeatureStoreOptionsValidator>(builder.Services, configuration, configure)
            .Validate<IServiceProvider>(
                (_, provider) => provider.GetService<OnlineStore>() is not null,
                "No OnlineStore is registered for the feature store: add an online store package's registration (.AddSqliteOnlineStore(), or .AddRedisOnlineStore() from Mlops.Features.Redis) or services.AddSingleton<OnlineStore>(...).");
        builder.Services.TryAddSingleton<FeatureRegistry>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<FeatureStoreOptions>>().Value;
            var time = provider.GetService<TimeProvider>();
            return options.Registry.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? new BlobFeatureRegistry(provider.GetRequiredService<StorageResolver>().Resolve(options.Registry), options.Project, options.RegistryRefreshInterval, time)
                : new SqliteFeatureRegistry(options.Registry, options.Project, options.RegistryRefreshInterval, time);
        });
        builder.Services.TryAddSingleton(provider => new FeatureStoreClient(
            provider.GetRequiredService<FeatureRegistry>(),
            provider.GetService<OnlineStore>() ?? throw new InvalidOperationException("No OnlineStore is registered for the feature store: add an online store package's registration or services.AddSingleton<OnlineStore>(...)."),
            provider.GetRequiredService<IOptions<FeatureStoreOptions>>().Value,
            provider.GetRequiredService<FrameSession>(),
            provider.GetService<TimeProvider>(),
            provider.GetService<ILogger<FeatureStoreClient>>()));
        return builder;
    }
}
