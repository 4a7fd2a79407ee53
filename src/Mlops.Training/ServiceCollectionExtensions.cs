using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Training.Distributed;
using Mlops.Distributed.Cluster;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TorchSharp trainer with a host's services.</summary>
public static class MlopsTrainerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MultiWorkerMirroredStrategyOptions"/> (validated when the host starts), the
    /// <see cref="ClusterSpec"/> read from the environment (TF_CONFIG or torchrun variables), and a singleton
    /// <see cref="MultiWorkerMirroredStrategy"/> that joins the job on first use and leaves it when the host stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options in code.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsTraining(this IServiceCollection services, Action<MultiWorkerMirroredStrategyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers the trainer as the other overload does, binding the options from configuration: the strategy's own
    /// settings from the <c>Strategy</c> child (<c>Mlops:Training:Strategy:Device</c>, <c>...:BucketBytes</c>) and the
    /// collectives' settings (timeouts, NCCL paths) from the section itself (<c>Mlops:Training:CollectiveTimeout</c>),
    /// the keys <c>AddMlopsDistributedTraining</c> reads, so one configuration serves both.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The <c>Mlops:Training</c> section.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsTraining(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services)
            .Configure(options => configuration.Bind(options.Collectives))
            .Bind(configuration.GetSection("Strategy"));
        return services;
    }

    private static OptionsBuilder<MultiWorkerMirroredStrategyOptions> AddCore(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MultiWorkerMirroredStrategyOptions>, MultiWorkerMirroredStrategyOptionsValidator>());
        services.TryAddSingleton(_ => ClusterSpecReader.FromEnvironment());
        services.TryAddSingleton(provider => MultiWorkerMirroredStrategy.Create(
            provider.GetRequiredService<ClusterSpec>(),
            provider.GetRequiredService<IOptions<MultiWorkerMirroredStrategyOptions>>().Value,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        return services.AddOptions<MultiWorkerMirroredStrategyOptions>().ValidateOnStart();
    }
}
