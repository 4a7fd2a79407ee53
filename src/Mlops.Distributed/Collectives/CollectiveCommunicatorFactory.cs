using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Nccl;
using Mlops.Hosting;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// The one place the collective backend is chosen: <c>AddDistributed</c>'s communicator and the trainer's
/// strategy both come from here, so <see cref="CollectiveOptions.Backend"/> means the same everywhere.
/// </summary>
/// <seealso cref="DistributedMlopsBuilderExtensions"/>
public static class CollectiveCommunicatorFactory
{
    /// <summary>
    /// Resolves <paramref name="configured"/> for buffers in host or device memory: <see cref="CollectiveBackend.Auto"/>
    /// is NCCL for device memory and the ring for host memory; the ring cannot reduce device memory.
    /// </summary>
    /// <param name="configured">The configured backend (<see cref="CollectiveOptions.Backend"/>).</param>
    /// <param name="deviceMemory">Whether the caller's buffers are in CUDA device memory.</param>
    /// <returns><see cref="CollectiveBackend.Ring"/> or <see cref="CollectiveBackend.Nccl"/>.</returns>
    /// <exception cref="OptionsValidationException">The backend is the ring but the buffers are in device memory, or the value is not a backend.</exception>
    public static CollectiveBackend Choose(CollectiveBackend configured, bool deviceMemory)
    {
        var chosen = configured switch
        {
            CollectiveBackend.Auto => deviceMemory ? CollectiveBackend.Nccl : CollectiveBackend.Ring,
            CollectiveBackend.Ring or CollectiveBackend.Nccl => configured,
            _ => throw Invalid($"{nameof(CollectiveOptions.Backend)} '{configured}' is not a backend (Auto, Ring or Nccl)."),
        };
        if (chosen == CollectiveBackend.Ring && deviceMemory)
        {
            throw Invalid($"{nameof(CollectiveOptions.Backend)} Ring reduces host memory but the buffers are in CUDA device memory; use Backend Nccl (or Auto).");
        }

        return chosen;
    }

    /// <summary>
    /// Validates <paramref name="options"/> and joins the job with the backend <see cref="Choose"/> picks for
    /// <paramref name="deviceMemory"/>.
    /// </summary>
    /// <param name="spec">This process's place in the job.</param>
    /// <param name="options">The backend, library paths and timeouts.</param>
    /// <param name="deviceMemory">Whether the buffers the communicator will reduce are in CUDA device memory (decides <see cref="CollectiveBackend.Auto"/>).</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="timeProvider">The clock for deadlines.</param>
    /// <param name="cancellationToken">Cancels joining.</param>
    /// <returns>The connected communicator.</returns>
    /// <exception cref="OptionsValidationException">The options are invalid, or name a backend that cannot reduce such buffers.</exception>
    /// <exception cref="CollectiveBackendUnavailableException">NCCL, the CUDA runtime or a GPU is missing.</exception>
    public static ICollectiveCommunicator Create(ClusterSpec spec, CollectiveOptions options, bool deviceMemory = false, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        MlopsOptions.Validate(options, new CollectiveOptionsValidator());
        return Choose(options.Backend, deviceMemory) == CollectiveBackend.Nccl
            ? NcclCommunicator.Create(spec, options, stream: 0, loggerFactory, timeProvider, cancellationToken)
            : TcpRingCommunicator.Create(spec, options, loggerFactory, timeProvider, cancellationToken);
    }

    private static OptionsValidationException Invalid(string failure) =>
        new(Options.DefaultName, typeof(CollectiveOptions), [failure]);
}
