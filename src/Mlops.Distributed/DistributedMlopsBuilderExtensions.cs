using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Hosting;

namespace Mlops.Distributed;

/// <summary>Adds the distributed layer (cluster spec, collectives) to the host's <see cref="MlopsBuilder"/>, for apps that use collectives without the trainer.</summary>
public static class DistributedMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="CollectiveOptions"/> (from <c>Mlops:Distributed</c> when the builder has configuration, then
    /// <paramref name="configure"/>; validated when the host starts), the <see cref="ClusterSpec"/> of the environment
    /// (see <see cref="AddClusterSpec"/>) and a singleton <see cref="ICollectiveCommunicator"/> from
    /// <see cref="CollectiveCommunicatorFactory"/> for host memory, created (joining the job) on first use. The trainer
    /// (<c>AddTraining</c>) joins the job through its strategy instead; a host uses one or the other.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddDistributed(this MlopsBuilder builder, Action<CollectiveOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddDistributed(builder.Section(CollectiveOptions.SectionName), configure);
    }

    /// <summary>Registers the distributed layer as <see cref="AddDistributed(MlopsBuilder, Action{CollectiveOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Distributed</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddDistributed(this MlopsBuilder builder, IConfiguration? configuration, Action<CollectiveOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<CollectiveOptions, CollectiveOptionsValidator>(configuration, configure);
        builder.AddClusterSpec();
        builder.Services.TryAddSingleton(provider => CollectiveCommunicatorFactory.Create(
            provider.GetRequiredService<ClusterSpec>(),
            provider.GetRequiredService<IOptions<CollectiveOptions>>().Value,
            deviceMemory: false,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        return builder;
    }

    /// <summary>
    /// Registers the <see cref="ClusterSpec"/> read from the environment (TF_CONFIG or torchrun variables) on first use,
    /// unless one is registered already (tests and apps that know their place in the job register their own first).
    /// <c>AddDistributed</c> and <c>AddTraining</c> both register it this way.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddClusterSpec(this MlopsBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(_ => ClusterSpecReader.FromEnvironment());
        return builder;
    }
}
