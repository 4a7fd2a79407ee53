namespace Mlops.Distributed.Collectives;

/// <summary>
/// The shared part of every backend: argument checks, sequence numbers and fingerprints, call ordering (asynchronous
/// calls queue behind earlier calls), and the aborted state after a failure. Backends implement the <c>…Core</c> methods.
/// </summary>
public abstract class CollectiveCommunicator : ICollectiveCommunicator
{
    private readonly object _queueLock = new();
    private readonly object _callLock = new();
    private Task _tail = Task.CompletedTask;
    private long _sequence;
    private volatile CollectiveException? _abortReason;
    private bool _disposed;

    /// <summary>Creates the base for a backend.</summary>
    /// <param name="rank">This process's rank.</param>
    /// <param name="worldSize">The number of ranks.</param>
    protected CollectiveCommunicator(int rank, int worldSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        Rank = rank;
        WorldSize = worldSize;
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int WorldSize { get; }

    /// <inheritdoc />
    public abstract string Backend { get; }

    /// <inheritdoc />
    public long Sequence => Interlocked.Read(ref _sequence);

    /// <inheritdoc />
    public CollectiveException? AbortReason => _abortReason;

    /// <inheritdoc />
    public void AllReduce(nint send, nint receive, long count, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default)
    {
        CheckBuffers(send, receive, count);
        Run(CollectiveKind.AllReduce, dataType, op, count, 0, call => AllReduceCore(call, send, receive, cancellationToken), cancellationToken, waitForQueue: true);
    }

    /// <inheritdoc />
    public void Broadcast(nint buffer, long count, CollectiveDataType dataType, int root, CancellationToken cancellationToken = default)
    {
        CheckBuffers(buffer, buffer, count);
        CheckRoot(root);
        Run(CollectiveKind.Broadcast, dataType, ReduceOp.Sum, count, root, call => BroadcastCore(call, buffer, cancellationToken), cancellationToken, waitForQueue: true);
    }

    /// <inheritdoc />
    public void AllGather(nint send, nint receive, long countPerRank, CollectiveDataType dataType, CancellationToken cancellationToken = default)
    {
        CheckBuffers(send, receive, countPerRank);
        Run(CollectiveKind.AllGather, dataType, ReduceOp.Sum, countPerRank, 0, call => AllGatherCore(call, send, receive, cancellationToken), cancellationToken, waitForQueue: true);
    }

    /// <inheritdoc />
    public void ReduceScatter(nint send, nint receive, long countPerRank, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default)
    {
        CheckBuffers(send, receive, countPerRank);
        Run(CollectiveKind.ReduceScatter, dataType, op, countPerRank, 0, call => ReduceScatterCore(call, send, receive, cancellationToken), cancellationToken, waitForQueue: true);
    }

    /// <inheritdoc />
    public void Barrier(CancellationToken cancellationToken = default) =>
        Run(CollectiveKind.Barrier, CollectiveDataType.Float32, ReduceOp.Sum, 0, 0, call => BarrierCore(call, cancellationToken), cancellationToken, waitForQueue: true);

    /// <inheritdoc />
    public Task AllReduceAsync(nint send, nint receive, long count, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default)
    {
        CheckBuffers(send, receive, count);
        return Queue(() => Run(CollectiveKind.AllReduce, dataType, op, count, 0, call => AllReduceCore(call, send, receive, cancellationToken), cancellationToken, waitForQueue: false));
    }

    /// <inheritdoc />
    public Task BroadcastAsync(nint buffer, long count, CollectiveDataType dataType, int root, CancellationToken cancellationToken = default)
    {
        CheckBuffers(buffer, buffer, count);
        CheckRoot(root);
        return Queue(() => Run(CollectiveKind.Broadcast, dataType, ReduceOp.Sum, count, root, call => BroadcastCore(call, buffer, cancellationToken), cancellationToken, waitForQueue: false));
    }

    /// <inheritdoc />
    public Task AllGatherAsync(nint send, nint receive, long countPerRank, CollectiveDataType dataType, CancellationToken cancellationToken = default)
    {
        CheckBuffers(send, receive, countPerRank);
        return Queue(() => Run(CollectiveKind.AllGather, dataType, ReduceOp.Sum, countPerRank, 0, call => AllGatherCore(call, send, receive, cancellationToken), cancellationToken, waitForQueue: false));
    }

    /// <inheritdoc />
    public Task ReduceScatterAsync(nint send, nint receive, long countPerRank, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default)
    {
        CheckBuffers(send, receive, countPerRank);
        return Queue(() => Run(CollectiveKind.ReduceScatter, dataType, op, countPerRank, 0, call => ReduceScatterCore(call, send, receive, cancellationToken), cancellationToken, waitForQueue: false));
    }

    /// <inheritdoc />
    public Task BarrierAsync(CancellationToken cancellationToken = default) =>
        Queue(() => Run(CollectiveKind.Barrier, CollectiveDataType.Float32, ReduceOp.Sum, 0, 0, call => BarrierCore(call, cancellationToken), cancellationToken, waitForQueue: false));

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Task tail;
        lock (_queueLock)
        {
            tail = _tail;
        }

        // Let queued calls finish (each has its own timeout) so their memory is not released under them.
        tail.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend's connections and native resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected abstract void Dispose(bool disposing);

    /// <summary>Runs an all-reduce; <paramref name="call"/> is the fingerprint to check with the peers.</summary>
    /// <param name="call">The call's fingerprint.</param>
    /// <param name="send">The input.</param>
    /// <param name="receive">The output (may equal <paramref name="send"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected abstract void AllReduceCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken);

    /// <summary>Runs a broadcast.</summary>
    /// <param name="call">The call's fingerprint.</param>
    /// <param name="buffer">The buffer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected abstract void BroadcastCore(in CollectiveCall call, nint buffer, CancellationToken cancellationToken);

    /// <summary>Runs an all-gather.</summary>
    /// <param name="call">The call's fingerprint.</param>
    /// <param name="send">This rank's block.</param>
    /// <param name="receive">The output.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected abstract void AllGatherCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken);

    /// <summary>Runs a reduce-scatter.</summary>
    /// <param name="call">The call's fingerprint.</param>
    /// <param name="send">The input.</param>
    /// <param name="receive">The output block.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected abstract void ReduceScatterCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken);

    /// <summary>Runs a barrier.</summary>
    /// <param name="call">The call's fingerprint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected abstract void BarrierCore(in CollectiveCall call, CancellationToken cancellationToken);

    /// <summary>Marks the communicator aborted; later calls throw with <paramref name="reason"/> as the cause.</summary>
    /// <param name="reason">The failure.</param>
    protected void MarkAborted(CollectiveException reason) => _abortReason ??= reason;

    private Task Queue(Action run)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_queueLock)
        {
            var task = _tail.ContinueWith(_ => run(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            _tail = task;
            return task;
        }
    }

    private void Run(CollectiveKind kind, CollectiveDataType dataType, ReduceOp op, long count, int root, Action<CollectiveCall> core, CancellationToken cancellationToken, bool waitForQueue)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (waitForQueue)
        {
            Task tail;
            lock (_queueLock)
            {
                tail = _tail;
            }

            // A synchronous call issued after asynchronous ones runs after them, as every rank expects.
            if (!tail.IsCompleted)
            {
                tail.ContinueWith(static _ => { }, TaskScheduler.Default).Wait(cancellationToken);
            }
        }

        lock (_callLock)
        {
            var call = new CollectiveCall(Interlocked.Increment(ref _sequence) - 1, kind, dataType, op, count, root);
            var aborted = _abortReason;
            if (aborted is not null)
            {
                throw new CollectiveException(
                    $"Rank {Rank} cannot run collective {call}: the communicator was aborted by an earlier failure ({aborted.Message}). Create a new communicator (restart the job).",
                    Rank,
                    aborted.FaultyRank,
                    call,
                    aborted);
            }

            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                core(call);
            }
            catch (CollectiveException ex)
            {
                MarkAborted(ex);
                throw;
            }
        }
    }

    private static void CheckBuffers(nint send, nint receive, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > 0 && (send == 0 || receive == 0))
        {
            throw new ArgumentException("A collective of one or more elements needs non-null buffers.");
        }
    }

    private void CheckRoot(int root)
    {
        if (root < 0 || root >= WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(root), root, $"The root must be a rank, 0..{WorldSize - 1}.");
        }
    }
}
