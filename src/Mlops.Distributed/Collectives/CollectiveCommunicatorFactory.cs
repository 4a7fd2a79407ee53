using Microsoft.Extensions.Logging;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Nccl;

namespace Mlops.Distributed.Collectives;

/// <summary>Creates the communicator of the configured backend.</summary>
public static class CollectiveCommunicatorFactory
{
    /// <summary>Joins the job with <see cref="DistributedTrainingOptions.Backend"/>.</summary>
    /// <param name="spec">This process's place in the job.</param>
    /// <param name="options">The backend, library paths and timeouts.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="timeProvider">The clock for deadlines.</param>
    /// <param name="cancellationToken">Cancels joining.</param>
    /// <returns>The connected communicator.</returns>
    public static ICollectiveCommunicator Create(ClusterSpec spec, DistributedTrainingOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Backend switch
        {
            CollectiveBackend.Nccl => NcclCommunicator.Create(spec, options, 0, loggerFactory, timeProvider, cancellationToken),
            _ => TcpRingCommunicator.Create(spec, options, loggerFactory, timeProvider, cancellationToken),
        };
    }
}
