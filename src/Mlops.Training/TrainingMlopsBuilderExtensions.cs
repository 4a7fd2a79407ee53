using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Distributed;
using Mlops.Distributed.Cluster;
using Mlops.Hosting;
using Mlops.Training.Distributed;

namespace Mlops.Training;

/// <summary>Adds the TorchSharp trainer to the host's <see cref="MlopsBuilder"/>.</summary>
public static class TrainingMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="MultiWorkerMirroredStrategyOptions"/> (from <c>Mlops:Training</c> when the builder has
    /// configuration, the collectives' settings from <c>Mlops:Training:Collectives</c>, then <paramref name="configure"/>;
    /// validated when the host starts), the <see cref="ClusterSpec"/> of the environment (as <c>AddDistributed</c>
    /// registers it) and a singleton <see cref="MultiWorkerMirroredStrategy"/> that joins the job on first use, with the
    /// backend <see cref="Mlops.Distributed.Collectives.CollectiveCommunicatorFactory"/> chooses from
    /// <c>Collectives.Backend</c>, and leaves it when the host stops.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddTraining(this MlopsBuilder builder, Action<MultiWorkerMirroredStrategyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddTraining(builder.Section(MultiWorkerMirroredStrategyOptions.SectionName), configure);
    }

    /// <summary>Registers the trainer as <see cref="AddTraining(MlopsBuilder, Action{MultiWorkerMirroredStrategyOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Training</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddTraining(this MlopsBuilder builder, IConfiguration? configuration, Action<MultiWorkerMirroredStrategyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<MultiWorkerMirroredStrategyOptions, MultiWorkerMirroredStrategyOptionsValidator>(configuration, configure);
        builder.AddClusterSpec();
        builder.Services.TryAddSingleton(provider => MultiWorkerMirroredStrategy.Create(
            provider.GetRequiredService<ClusterSpec>(),
            provider.GetRequiredService<IOptions<MultiWorkerMirroredStrategyOptions>>().Value,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        return builder;
    }
}
