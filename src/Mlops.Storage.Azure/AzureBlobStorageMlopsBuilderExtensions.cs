using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Hosting;

namespace Mlops.Storage.Azure;

/// <summary>Adds Azure Blob Storage to the host's <see cref="MlopsBuilder"/>.</summary>
public static class AzureBlobStorageMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="AzureBlobStorageOptions"/> (from <c>Mlops:Storage</c> when the builder has configuration —
    /// <c>Mlops:Storage:Accounts:&lt;name&gt;</c> — then <paramref name="configure"/>; validated when the host starts) and
    /// an <see cref="AzureBlobStoreProvider"/> that the host's <see cref="StorageResolver"/> asks for Azure locations.
    /// Adds storage (<c>.AddStorage()</c>) too when it has not been added.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides (credentials that cannot come from configuration, such as a TokenCredential).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddAzureBlobStorage(this MlopsBuilder builder, Action<AzureBlobStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddAzureBlobStorage(builder.Section(AzureBlobStorageOptions.SectionName), configure);
    }

    /// <summary>Registers Azure Blob Storage as <see cref="AddAzureBlobStorage(MlopsBuilder, Action{AzureBlobStorageOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Storage</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddAzureBlobStorage(this MlopsBuilder builder, IConfiguration? configuration, Action<AzureBlobStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(StorageResolver)))
        {
            builder.AddStorage();
        }

        builder.AddOptions<AzureBlobStorageOptions, AzureBlobStorageOptionsValidator>(configuration, configure);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlobStoreProvider, AzureBlobStoreProvider>(
            provider => new AzureBlobStoreProvider(provider.GetRequiredService<IOptions<AzureBlobStorageOptions>>().Value)));
        return builder;
    }
}
