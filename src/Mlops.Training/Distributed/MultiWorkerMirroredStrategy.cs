using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Hosting;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Distributed;

/// <summary>
/// Synchronous data-parallel training across worker processes, as TensorFlow's
/// <c>tf.distribute.MultiWorkerMirroredStrategy</c>: every worker holds the same model, rank 0's initial parameters are
/// broadcast, gradients are summed across workers after every backward pass (in buckets, over the TCP ring on the CPU or
/// NCCL on CUDA, directly on the tensors' memory) and every worker takes the same optimizer step. Models built inside
/// <see cref="Scope{T}(Func{T})"/> train with it. With one worker (no cluster variables set) every collective is a no-op
/// and no socket is opened.
/// </summary>
/// <remarks>
/// Collectives are called by every worker in the same order, from one thread at a time; a worker that calls something
/// else, stalls or dies makes every worker fail within <see cref="CollectiveOptions.CollectiveTimeout"/> with an
/// error naming it.
/// </remarks>
public sealed partial class MultiWorkerMirroredStrategy : IReplicaContext, IDisposable
{
    private readonly ICollectiveCommunicator? _communicator;
    private readonly CudaHostStaging? _staging;
    private readonly ILogger _logger;
    private readonly int _bucketBytes;
    private bool _disposed;

    internal MultiWorkerMirroredStrategy(ClusterSpec cluster, Device device, CollectiveBackend backend, ICollectiveCommunicator? communicator, int bucketBytes, ILogger? logger = null)
    {
        Cluster = cluster;
        Device = device;
        Backend = backend;
        _communicator = communicator;
        _bucketBytes = bucketBytes;
        _logger = logger ?? NullLogger.Instance;
        if (communicator is not null && device.type == DeviceType.CUDA)
        {
            _staging = new CudaHostStaging(communicator, device);
        }
    }

    /// <summary>The number of workers training in sync (the world size).</summary>
    public int NumReplicasInSync => Cluster.WorldSize;

    /// <summary>This worker's rank, 0 to <see cref="NumReplicasInSync"/> − 1.</summary>
    public int Rank => Cluster.Rank;

    /// <summary>This worker's replica index; the same as <see cref="Rank"/> (one replica per worker).</summary>
    public int ReplicaId => Cluster.Rank;

    /// <summary>Whether this worker is the chief (rank 0): the one that writes the final model, checkpoints and the progress bar.</summary>
    public bool IsChief => Cluster.Rank == 0;

    /// <summary>The device this worker trains on: <c>cuda:{LOCAL_RANK}</c> or the CPU.</summary>
    public Device Device { get; }

    /// <summary>Who this worker is in the job.</summary>
    public ClusterSpec Cluster { get; }

    /// <summary>
    /// How tensors are combined across workers: <see cref="CollectiveOptions.Backend"/> as resolved for this worker's
    /// device (never <see cref="CollectiveBackend.Auto"/>).
    /// </summary>
    public CollectiveBackend Backend { get; }

    /// <summary>The largest piece of a flat buffer reduced in one collective, in bytes.</summary>
    public int BucketBytes => _bucketBytes;

    int IReplicaContext.NumReplicas => Cluster.WorldSize;

    /// <summary>
    /// Joins the job described by the environment: <c>TF_CONFIG</c> or torchrun's <c>RANK</c>/<c>WORLD_SIZE</c>/
    /// <c>MASTER_ADDR</c>/<c>MASTER_PORT</c> (see <see cref="ClusterSpecReader.FromEnvironment()"/>); without them, a single
    /// worker. Loads libtorch, chooses the device by local rank, and connects the collectives.
    /// </summary>
    /// <param name="options">Device, communication, bucket size, timeouts, libtorch folder; defaults when null.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="timeProvider">The clock for connection deadlines; the system clock when null.</param>
    /// <param name="cancellationToken">Cancels joining.</param>
    /// <returns>The strategy; dispose it to leave the job.</returns>
    /// <exception cref="ClusterConfigurationException">A cluster variable is malformed, or the local rank has no GPU.</exception>
    /// <exception cref="TorchLoadException">libtorch cannot load, or CUDA is asked for but absent.</exception>
    /// <exception cref="CollectiveException">The other workers did not join in time, or NCCL is unavailable.</exception>
    /// <exception cref="OptionsValidationException">
    /// The options are invalid, or name a backend this worker's device cannot use (such as
    /// <c>Collectives.Backend</c> Nccl where CUDA is not available).
    /// </exception>
    /// <remarks>
    /// Blocks until every worker has joined (or the connect timeout passes, or the token is cancelled); there is no
    /// <c>FromEnvironmentAsync</c>, because loading libtorch, the collectives' synchronous rendezvous and NCCL's
    /// initialisation are all blocking, so a twin could only wrap <c>Task.Run</c>. A worker process calls it once at
    /// start-up, before training, where blocking is what it wants.
    /// </remarks>
    public static MultiWorkerMirroredStrategy FromEnvironment(MultiWorkerMirroredStrategyOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        Create(ClusterSpecReader.FromEnvironment(), options, loggerFactory, timeProvider, cancellationToken);

    /// <summary>Joins the job described by <paramref name="cluster"/> (world size 1: a single worker, no sockets).</summary>
    /// <param name="cluster">This worker's place in the job.</param>
    /// <param name="options">Device, communication, bucket size, timeouts, libtorch folder; defaults when null.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="timeProvider">The clock for connection deadlines; the system clock when null.</param>
    /// <param name="cancellationToken">Cancels joining.</param>
    /// <returns>The strategy; dispose it to leave the job.</returns>
    /// <exception cref="ClusterConfigurationException">The local rank has no GPU.</exception>
    /// <exception cref="TorchLoadException">libtorch cannot load, or CUDA is asked for but absent.</exception>
    /// <exception cref="CollectiveException">The other workers did not join in time, or NCCL is unavailable.</exception>
    /// <exception cref="OptionsValidationException">
    /// The options are invalid, or name a backend this worker's device cannot use (such as
    /// <c>Collectives.Backend</c> Nccl where CUDA is not available).
    /// </exception>
    public static MultiWorkerMirroredStrategy Create(ClusterSpec cluster, MultiWorkerMirroredStrategyOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        options ??= new MultiWorkerMirroredStrategyOptions();
        MlopsOptions.Validate(options, new MultiWorkerMirroredStrategyOptionsValidator());

        // Under mlops-launch, an error that ends this worker goes to its error file, so the launcher can name the root cause.
        Mlops.Distributed.Launch.WorkerErrorFile.RecordUnhandledExceptions();

        var logger = (ILogger?)loggerFactory?.CreateLogger<MultiWorkerMirroredStrategy>() ?? NullLogger.Instance;
        TorchRuntime.EnsureInitialized(new TorchRuntimeOptions
        {
            LibTorchDirectory = options.LibTorchDirectory,
            RequireCuda = options.Device == TrainingDevice.Cuda,
        });
        var device = ChooseDevice(cluster, options.Device);
        var onCuda = device.type == DeviceType.CUDA;
        if (options.Collectives.Backend == CollectiveBackend.Nccl && !onCuda)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(MultiWorkerMirroredStrategyOptions), [
                $"Collectives.Backend Nccl reduces CUDA tensors but rank {cluster.Rank} trains on {device} (CUDA is not available: {TorchRuntime.Description}); use Backend Ring or Auto, or a CUDA libtorch on a machine with a GPU."]);
        }

        var backend = CollectiveCommunicatorFactory.Choose(options.Collectives.Backend, deviceMemory: onCuda);
        if (IntraOpThreads(cluster, options.IntraOpThreads, Environment.GetEnvironmentVariable("OMP_NUM_THREADS"), Environment.ProcessorCount) is { } threads)
        {
            torch.set_num_threads(threads);
            logger.LogDebug("Rank {Rank}: {Threads} torch thread(s) ({Workers} local workers, {Cores} cores)", cluster.Rank, threads, cluster.LocalWorldSize, Environment.ProcessorCount);
        }
        if (options.Seed is { } seed)
        {
            SeedGenerators(seed);
        }

        using var activity = StrategyTelemetry.Source.StartActivity("mlops.training.strategy.join");
        activity?.SetTag("mlops.rank", cluster.Rank);
        activity?.SetTag("mlops.world_size", cluster.WorldSize);
        var started = Stopwatch.GetTimestamp();
        ICollectiveCommunicator? communicator = null;
        if (cluster.WorldSize > 1)
        {
            communicator = CollectiveCommunicatorFactory.Create(cluster, options.Collectives, deviceMemory: onCuda, loggerFactory, timeProvider, cancellationToken);
        }

        try
        {
            var strategy = new MultiWorkerMirroredStrategy(cluster, device, backend, communicator, options.BucketBytes, logger);
            logger.LogInformation(
                "Rank {Rank}/{WorldSize} ready on {Device} ({Backend}, buckets of {BucketBytes} bytes) in {Ms:0} ms",
                cluster.Rank,
                cluster.WorldSize,
                device,
                cluster.WorldSize == 1 ? "single worker" : communicator!.Backend,
                options.BucketBytes,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return strategy;
        }
        catch
        {
            communicator?.Dispose();
            throw;
        }
    }

    /// <summary>The intra-op thread count to set, or null to leave libtorch's (see <see cref="MultiWorkerMirroredStrategyOptions.IntraOpThreads"/>).</summary>
    internal static int? IntraOpThreads(ClusterSpec cluster, int? configured, string? ompNumThreads, int cores)
    {
        if (configured is { } explicitThreads)
        {
            return explicitThreads;
        }

        if (!string.IsNullOrWhiteSpace(ompNumThreads) || cluster.LocalWorldSize <= 1)
        {
            return null; // the user's OMP_NUM_THREADS, or one worker alone on the host: libtorch's default is right
        }

        return Math.Max(1, cores / cluster.LocalWorldSize);
    }

    /// <summary>
    /// Seeds torch's CPU generator and every CUDA device's generator with <paramref name="seed"/>. Call it with the same
    /// value on every worker before building the model, so parameters and dropout masks start the same everywhere
    /// (TorchSharp's <c>manual_seed</c> alone does not reseed CUDA).
    /// </summary>
    /// <param name="seed">The seed.</param>
    public void Seed(int seed)
    {
        ThrowIfDisposed();
        SeedGenerators(seed);
    }

    /// <summary>
    /// Runs <paramref name="build"/> with this strategy as the ambient replica context, so the models it builds train
    /// with this strategy (TensorFlow's <c>with strategy.scope():</c>).
    /// </summary>
    /// <typeparam name="T">What is built, usually a compiled model.</typeparam>
    /// <param name="build">Builds the model.</param>
    /// <returns>What <paramref name="build"/> returned.</returns>
    public T Scope<T>(Func<T> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        using var scope = EnterScope();
        return build();
    }

    /// <summary>
    /// Makes this strategy the ambient replica context of the current flow until the handle is disposed: models built
    /// meanwhile train with it. Prefer <see cref="Scope{T}(Func{T})"/>.
    /// </summary>
    /// <returns>The handle that ends the scope.</returns>
    public IDisposable EnterScope()
    {
        ThrowIfDisposed();
        return ReplicaScope.Enter(this);
    }

    /// <summary>Leaves the job: closes the connections to the other workers (rank 0 waits briefly for them to leave first).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _staging?.Dispose();
        _communicator?.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"MultiWorkerMirroredStrategy(rank {Rank} of {NumReplicasInSync}, {Device}, {(_communicator is null ? "single worker" : _communicator.Backend)})";

    private static Device ChooseDevice(ClusterSpec cluster, TrainingDevice wanted)
    {
        if (wanted == TrainingDevice.Cpu || (wanted == TrainingDevice.Auto && !torch.cuda.is_available()))
        {
            return CPU;
        }

        var devices = torch.cuda.device_count();
        if (cluster.LocalRank >= devices)
        {
            throw new ClusterConfigurationException(
                "LOCAL_RANK",
                $"rank {cluster.Rank} has local rank {cluster.LocalRank} but this host has {devices} CUDA device(s); each worker trains on the GPU of its local rank, so start at most {devices} worker(s) per host (or set the strategy's Device to Cpu).");
        }

        return torch.device(DeviceType.CUDA, cluster.LocalRank);
    }

    private static void SeedGenerators(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available())
        {
            torch.cuda.manual_seed_all(seed);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
