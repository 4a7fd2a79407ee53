using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Distributed;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the distributed training layer with a host's services.</summary>
public static class MlopsTrainingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DistributedTrainingOptions"/> (validated when the host starts), the
    /// <see cref="ClusterSpec"/> read from the environment (TF_CONFIG or torchrun variables), and a singleton
    /// <see cref="ICollectiveCommunicator"/> of the configured backend, created (joining the job) on first use.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options in code.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsDistributedTraining(this IServiceCollection services, Action<DistributedTrainingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>Registers the layer as the other overload does, binding the options from configuration.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The <c>Mlops:Training</c> section (see <see cref="DistributedTrainingOptions.SectionName"/>).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsDistributedTraining(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services).Bind(configuration);
        return services;
    }

    private static OptionsBuilder<DistributedTrainingOptions> AddCore(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DistributedTrainingOptions>, DistributedTrainingOptionsValidator>());
        services.TryAddSingleton(_ => ClusterSpecReader.FromEnvironment());
        services.TryAddSingleton(provider => CollectiveCommunicatorFactory.Create(
            provider.GetRequiredService<ClusterSpec>(),
            provider.GetRequiredService<IOptions<DistributedTrainingOptions>>().Value,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        return services.AddOptions<DistributedTrainingOptions>().ValidateDataAnnotations().ValidateOnStart();
    }
}
