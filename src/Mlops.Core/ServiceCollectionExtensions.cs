using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Mlops storage with a host's services.</summary>
public static class MlopsCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="StorageOptions"/> (validated when the host starts) and a singleton
    /// <see cref="StorageResolver"/> built from them, the <see cref="TimeProvider"/> registered in the container
    /// (else <see cref="TimeProvider.System"/>) and the <see cref="ILoggerFactory"/> if there is one.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options in code (credentials that cannot come from configuration, such as a TokenCredential).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsStorage(this IServiceCollection services, Action<StorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers storage as <see cref="AddMlopsStorage(IServiceCollection, Action{StorageOptions})"/> does, binding the
    /// options from a configuration section; hosts pass <c>configuration.GetSection("Mlops:Storage")</c>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The <c>Mlops:Storage</c> section (see <see cref="StorageOptions.SectionName"/>).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services).Bind(configuration);
        return services;
    }

    private static OptionsBuilder<StorageOptions> AddCore(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.TryAddSingleton(provider => new StorageResolver(
            provider.GetRequiredService<IOptions<StorageOptions>>().Value,
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetService<ILoggerFactory>()));
        return services.AddOptions<StorageOptions>().ValidateDataAnnotations().ValidateOnStart();
    }
}
