using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Distributed.Rendezvous;
using Mlops.Hosting;

namespace Mlops.Distributed.Nccl;

/// <summary>
/// Collectives on GPU memory through NVIDIA NCCL, by P/Invoke to <c>libnccl.so.2</c> and the CUDA runtime. Pointers are
/// device pointers (for example a TorchSharp tensor's data pointer); in place when send equals receive. Each rank uses
/// the GPU of its local rank. The communicator is non-blocking: initialisation and every collective are watched with a
/// deadline and NCCL's asynchronous error, and on failure or timeout the communicator is aborted with an error naming
/// the call, instead of hanging. Collectives are enqueued on <see cref="Stream"/> and the call returns when they finished.
/// </summary>
public sealed unsafe class NcclCommunicator : CollectiveCommunicator
{
    private readonly NcclApi _api;
    private readonly RendezvousServer? _server;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private nint _comm;

    private NcclCommunicator(ClusterSpec spec, NcclApi api, nint comm, RendezvousClient store, RendezvousServer? server, int device, nint stream, TimeSpan timeout, ILogger logger)
        : base(spec.Rank, spec.WorldSize)
    {
        _api = api;
        _comm = comm;
        Store = store;
        _server = server;
        Device = device;
        Stream = stream;
        _timeout = timeout;
        _logger = logger;
    }

    /// <inheritdoc />
    public override string Backend => "nccl";

    /// <summary>The CUDA device this rank uses (its local rank).</summary>
    public int Device { get; }

    /// <summary>The CUDA stream collectives are enqueued on (0: the legacy default stream).</summary>
    public nint Stream { get; }

    /// <summary>The job's rendezvous store (the NCCL unique id went through it).</summary>
    public RendezvousClient Store { get; }

    /// <summary>
    /// Loads NCCL and the CUDA runtime, selects the GPU of <see cref="ClusterSpec.LocalRank"/>, checks that no two ranks
    /// share a GPU, exchanges NCCL's unique id through the rendezvous store and initialises the communicator within
    /// <see cref="CollectiveOptions.ConnectTimeout"/>.
    /// </summary>
    /// <param name="spec">This process's place in the job.</param>
    /// <param name="options">Library paths and timeouts; defaults when null.</param>
    /// <param name="stream">The CUDA stream to enqueue on (for example the caller's current stream); 0 for the default stream.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="timeProvider">The clock for the rendezvous deadlines.</param>
    /// <param name="cancellationToken">Cancels joining.</param>
    /// <returns>The communicator.</returns>
    /// <exception cref="CollectiveBackendUnavailableException">NCCL, the CUDA runtime or a GPU is missing, or two ranks share a GPU.</exception>
    /// <exception cref="CollectiveTimeoutException">Initialisation did not complete in time.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public static NcclCommunicator Create(ClusterSpec spec, CollectiveOptions? options = null, nint stream = 0, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options = MlopsOptions.Validate(options ?? new CollectiveOptions(), new CollectiveOptionsValidator());
        var logger = (ILogger?)loggerFactory?.CreateLogger<NcclCommunicator>() ?? NullLogger.Instance;

        // Libraries and the GPU first: a machine without them fails at once, before waiting for other ranks.
        var api = NcclApi.Load(options.NcclLibraryPath, options.CudaRuntimePath, spec.Rank);
        int devices;
        var status = api.CudaGetDeviceCount(&devices);
        if (status != 0 || devices == 0)
        {
            throw new CollectiveBackendUnavailableException($"Rank {spec.Rank}: no CUDA GPU is visible ({(status != 0 ? api.CudaError(status) : "0 devices")}); check the driver and CUDA_VISIBLE_DEVICES, or use the Ring backend.", spec.Rank);
        }

        if (spec.LocalRank >= devices)
        {
            throw new CollectiveBackendUnavailableException($"Rank {spec.Rank} has local rank {spec.LocalRank} but only {devices} GPU(s) are visible on this host; NCCL needs one GPU per rank (start at most {devices} processes per host).", spec.Rank);
        }

        Check(api, api.CudaSetDevice(spec.LocalRank), spec.Rank, "cudaSetDevice");
        var busId = stackalloc byte[64];
        Check(api, api.CudaDeviceGetPciBusId(busId, 64, spec.LocalRank), spec.Rank, "cudaDeviceGetPCIBusId");
        var gpu = $"{Environment.MachineName}/{Marshal.PtrToStringUTF8((nint)busId)}";

        var (server, store) = JobRendezvous.Join(spec, options, timeProvider ?? TimeProvider.System, logger, cancellationToken);
        try
        {
            CheckDistinctGpus(spec, store, gpu, options.ConnectTimeout, cancellationToken);
            var id = default(NcclUniqueId);
            if (spec.Rank == 0)
            {
                Check(api, api.GetUniqueId(&id), spec.Rank, "ncclGetUniqueId");
                store.Set("mlops/nccl/id", new ReadOnlySpan<byte>(id.Internal, NcclUniqueId.Size), cancellationToken);
            }
            else
            {
                var bytes = WaitForRanks(() => store.Get("mlops/nccl/id", options.ConnectTimeout, cancellationToken), spec, options.ConnectTimeout);
                bytes.AsSpan().CopyTo(new Span<byte>(id.Internal, NcclUniqueId.Size));
            }

            var comm = Initialise(api, spec, id, options.ConnectTimeout);
            int version;
            api.GetVersion(&version);
            logger.LogInformation("Rank {Rank}/{WorldSize} initialised NCCL {Version} on GPU {Gpu} ({Nccl})", spec.Rank, spec.WorldSize, version, gpu, api.NcclPath);
            return new NcclCommunicator(spec, api, comm, store, server, spec.LocalRank, stream, options.CollectiveTimeout, logger);
        }
        catch
        {
            store.Dispose();
            server?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void AllReduceCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken)
    {
        UseDevice();
        Complete(call, _api.AllReduce(send, receive, (nuint)call.Count, DataType(call.DataType), Op(call.Op), _comm, Stream), cancellationToken);
    }

    /// <inheritdoc />
    protected override void BroadcastCore(in CollectiveCall call, nint buffer, CancellationToken cancellationToken)
    {
        UseDevice();
        Complete(call, _api.Broadcast(buffer, buffer, (nuint)call.Count, DataType(call.DataType), call.Root, _comm, Stream), cancellationToken);
    }

    /// <inheritdoc />
    protected override void AllGatherCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken)
    {
        UseDevice();
        Complete(call, _api.AllGather(send, receive, (nuint)call.Count, DataType(call.DataType), _comm, Stream), cancellationToken);
    }

    /// <inheritdoc />
    protected override void ReduceScatterCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken)
    {
        UseDevice();
        Complete(call, _api.ReduceScatter(send, receive, (nuint)call.Count, DataType(call.DataType), Op(call.Op), _comm, Stream), cancellationToken);
    }

    /// <inheritdoc />
    protected override void BarrierCore(in CollectiveCall call, CancellationToken cancellationToken)
    {
        // NCCL has no barrier (and skips empty collectives): the store's barrier does it and names missing ranks.
        try
        {
            Store.Barrier("mlops/nccl/barrier", _timeout, cancellationToken);
        }
        catch (RendezvousTimeoutException ex)
        {
            throw new CollectiveTimeoutException($"Rank {Rank}: barrier {call} timed out after {_timeout.TotalSeconds:0.#} s; rank(s) {string.Join(", ", ex.MissingRanks)} did not arrive.", Rank, ex.MissingRanks.FirstOrDefault(), call, ex.MissingRanks, ex);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_comm != 0)
        {
            _api.CudaSetDevice(Device);
            if (AbortReason is null)
            {
                // Finalize flushes outstanding work; with a non-blocking communicator it may report in-progress.
                var status = _api.CommFinalize(_comm);
                if (status == NcclApi.InProgress)
                {
                    Wait(null, CancellationToken.None, waitForStream: false);
                }

                _api.CommDestroy(_comm);
            }
            else
            {
                _api.CommAbort(_comm);
            }

            _comm = 0;
        }

        if (disposing)
        {
            _server?.WaitForOtherRanksToLeave(Rank, TimeSpan.FromSeconds(5));
            Store.Dispose();
            _server?.Dispose();
        }
    }

    /// <summary>
    /// Makes this rank's GPU current on the calling thread (CUDA's current device is per thread, and queued or async
    /// calls may run on another thread than the one that created the communicator): the stream queried, 0 included,
    /// is then this GPU's.
    /// </summary>
    private void UseDevice()
    {
        var status = _api.CudaSetDevice(Device);
        if (status != 0)
        {
            throw Abort(new CollectiveException($"Rank {Rank}: cudaSetDevice({Device}) failed: {_api.CudaError(status)}.", Rank, null, null));
        }
    }

    private void Complete(in CollectiveCall call, int status, CancellationToken cancellationToken)
    {
        if (status != NcclApi.Success && status != NcclApi.InProgress)
        {
            throw Abort(new CollectiveException($"Rank {Rank}: NCCL rejected {call}: {_api.NcclError(status)}.", Rank, null, call));
        }

        Wait(call, cancellationToken, waitForStream: true);
    }

    /// <summary>The watchdog: polls NCCL's asynchronous error and the stream until done, the deadline or cancellation.</summary>
    private void Wait(CollectiveCall? call, CancellationToken cancellationToken, bool waitForStream)
    {
        var started = Stopwatch.GetTimestamp();
        var spins = 0;
        while (true)
        {
            int asyncError;
            _api.CommGetAsyncError(_comm, &asyncError);
            if (asyncError != NcclApi.Success && asyncError != NcclApi.InProgress)
            {
                throw Abort(new CollectiveException($"Rank {Rank}: NCCL failed during {call?.ToString() ?? "shutdown"}: {_api.NcclError(asyncError)}. A peer rank probably crashed or its network failed.", Rank, null, call));
            }

            if (asyncError == NcclApi.Success)
            {
                if (!waitForStream)
                {
                    return;
                }

                var query = _api.CudaStreamQuery(Stream);
                if (query == 0)
                {
                    return;
                }

                if (query != NcclApi.CudaErrorNotReady)
                {
                    throw Abort(new CollectiveException($"Rank {Rank}: the CUDA stream failed during {call}: {_api.CudaError(query)}.", Rank, null, call));
                }
            }

            if (Stopwatch.GetElapsedTime(started) > _timeout)
            {
                throw Abort(new CollectiveTimeoutException(
                    $"Rank {Rank}: {call?.ToString() ?? "NCCL shutdown"} did not complete within {_timeout.TotalSeconds:0.#} s; another rank is stalled, crashed, or called a different collective. The NCCL communicator was aborted.",
                    Rank,
                    null,
                    call));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                Abort(new CollectiveException($"Rank {Rank} cancelled {call}; the NCCL communicator was aborted.", Rank, null, call));
                cancellationToken.ThrowIfCancellationRequested();
            }

            // Spin briefly for latency, then yield the core: the GPU does the work.
            if (++spins > 1000)
            {
                Thread.Sleep(spins > 100_000 ? 1 : 0);
            }
        }
    }

    private CollectiveException Abort(CollectiveException reason)
    {
        MarkAborted(reason);
        if (_comm != 0)
        {
            _api.CommAbort(_comm);
            _comm = 0;
        }

        _logger.LogError("{Message}", reason.Message);
        return reason;
    }

    private static nint Initialise(NcclApi api, ClusterSpec spec, NcclUniqueId id, TimeSpan timeout)
    {
        var config = NcclConfig.NonBlocking();
        nint comm = 0;
        var status = api.CommInitRankConfig(&comm, spec.WorldSize, id, spec.Rank, &config);
        if (status != NcclApi.Success && status != NcclApi.InProgress)
        {
            throw new CollectiveBackendUnavailableException($"Rank {spec.Rank}: ncclCommInitRankConfig failed: {api.NcclError(status)}.", spec.Rank);
        }

        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            int state;
            api.CommGetAsyncError(comm, &state);
            if (state == NcclApi.Success)
            {
                return comm;
            }

            if (state != NcclApi.InProgress)
            {
                api.CommAbort(comm);
                throw new CollectiveBackendUnavailableException($"Rank {spec.Rank}: NCCL initialisation failed: {api.NcclError(state)}.", spec.Rank);
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                api.CommAbort(comm);
                throw new CollectiveTimeoutException($"Rank {spec.Rank}: NCCL initialisation did not complete within {timeout.TotalSeconds:0.#} s; a rank did not join or cannot reach the others (check NCCL_SOCKET_IFNAME). The communicator was aborted.", spec.Rank, null, null);
            }

            Thread.Sleep(1);
        }
    }

    private static void CheckDistinctGpus(ClusterSpec spec, RendezvousClient store, string gpu, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Two ranks on one GPU make NCCL hang in init; find out first and say so.
        store.SetString("mlops/nccl/gpu/" + spec.Rank.ToString(CultureInfo.InvariantCulture), gpu, cancellationToken);
        var keys = RendezvousClient.RankKeys("mlops/nccl/gpu/", spec.WorldSize);
        WaitForRanks(() => { store.Wait(keys, timeout, cancellationToken); return Array.Empty<byte>(); }, spec, timeout);
        for (var other = 0; other < spec.WorldSize; other++)
        {
            if (other != spec.Rank && Encoding.UTF8.GetString(store.Get(keys[other], timeout, cancellationToken)) == gpu)
            {
                throw new CollectiveBackendUnavailableException($"Ranks {Math.Min(other, spec.Rank)} and {Math.Max(other, spec.Rank)} both use GPU {gpu}; NCCL needs one GPU per rank. Give each process its own LOCAL_RANK (or CUDA_VISIBLE_DEVICES).", spec.Rank);
            }
        }
    }

    private static byte[] WaitForRanks(Func<byte[]> wait, ClusterSpec spec, TimeSpan timeout)
    {
        try
        {
            return wait();
        }
        catch (RendezvousTimeoutException ex)
        {
            throw new CollectiveTimeoutException($"Rank {spec.Rank} gave up after {timeout.TotalSeconds:0.#} s waiting for rank(s) {string.Join(", ", ex.MissingRanks.DefaultIfEmpty(0))} to join the NCCL job.", spec.Rank, ex.MissingRanks.FirstOrDefault(), null, ex.MissingRanks, ex);
        }
    }

    private static void Check(NcclApi api, int status, int rank, string function)
    {
        if (status != 0)
        {
            throw new CollectiveBackendUnavailableException($"Rank {rank}: {function} failed: {(function.StartsWith("nccl", StringComparison.Ordinal) ? api.NcclError(status) : api.CudaError(status))}.", rank);
        }
    }

    private static int DataType(CollectiveDataType type) => type switch
    {
        CollectiveDataType.Int32 => 2,
        CollectiveDataType.Int64 => 4,
        CollectiveDataType.Float32 => 7,
        CollectiveDataType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static int Op(ReduceOp op) => op switch
    {
        ReduceOp.Sum => 0,
        ReduceOp.Product => 1,
        ReduceOp.Max => 2,
        ReduceOp.Min => 3,
        ReduceOp.Average => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };
}
