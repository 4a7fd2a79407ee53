using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Hosting;

namespace Mlops.Storage;

/// <summary>Adds Mlops storage to the host's <see cref="MlopsBuilder"/>.</summary>
public static class StorageMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="StorageOptions"/> (from <c>Mlops:Storage</c> when the builder has configuration, then
    /// <paramref name="configure"/>; validated when the host starts) and a singleton <see cref="StorageResolver"/> built
    /// from them with the container's <see cref="TimeProvider"/> (else the system clock), logger factory and every
    /// registered <see cref="IBlobStoreProvider"/> (Mlops.Storage.Azure's <c>.AddAzureBlobStorage()</c> adds one).
    /// Readers, writers, datasets and stores that come from the container resolve locations through it.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddStorage(this MlopsBuilder builder, Action<StorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStorage(builder.Section(StorageOptions.SectionName), configure);
    }

    /// <summary>Registers storage as <see cref="AddStorage(MlopsBuilder, Action{StorageOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Storage</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddStorage(this MlopsBuilder builder, IConfiguration? configuration, Action<StorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<StorageOptions, StorageOptionsValidator>(configuration, configure);
        builder.Services.TryAddSingleton(provider => new StorageResolver(
            provider.GetRequiredService<IOptions<StorageOptions>>().Value,
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetService<ILoggerFactory>(),
            provider.GetServices<IBlobStoreProvider>()));
        return builder;
    }
}
