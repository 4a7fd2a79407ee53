using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Unicode;
using Mlops.Distributed.Collectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Distributed;

/// <summary>The collectives the training loop calls; every worker calls them in the same order.</summary>
public sealed partial class MultiWorkerMirroredStrategy
{
    /// <summary>The name of the strategy's <see cref="System.Diagnostics.Metrics.Meter"/> and <see cref="ActivitySource"/>.</summary>
    public const string TelemetryName = "Mlops.Training.Distributed";

    /// <summary>The most UTF-8 bytes of an error message <see cref="AgreeOnErrors"/> carries to the other workers.</summary>
    public const int MaxErrorMessageBytes = 4000;

    private const int MessageSlots = 512;
    private long _allReduceCalls;
    private long _bytesReduced;
    private long _allReduceTicks;

    /// <summary>What this worker's tensor all-reduces have cost so far.</summary>
    public CollectiveStatistics Statistics => new(_allReduceCalls, _bytesReduced, Stopwatch.GetElapsedTime(0, _allReduceTicks));

    /// <summary>
    /// Makes every worker's <paramref name="flatParameters"/> equal to rank 0's, in place (the start of training), in
    /// buckets of <see cref="BucketBytes"/>.
    /// </summary>
    /// <param name="flatParameters">A contiguous float32 or float64 tensor on <see cref="Device"/>, the same size on every worker.</param>
    /// <param name="cancellationToken">Cancels the broadcast (which aborts the job's collectives).</param>
    /// <exception cref="ArgumentException">The tensor is not contiguous, not on <see cref="Device"/>, or of an unsupported type.</exception>
    /// <exception cref="CollectiveException">A worker failed, stalled or called something else; it is named.</exception>
    public void BroadcastParameters(Tensor flatParameters, CancellationToken cancellationToken = default) =>
        Broadcast(flatParameters, 0, cancellationToken);

    /// <summary>Copies <paramref name="root"/>'s <paramref name="tensor"/> into every worker's, in place, in buckets of <see cref="BucketBytes"/>.</summary>
    /// <param name="tensor">A contiguous float32, float64, int32 or int64 tensor on <see cref="Device"/>, the same size on every worker.</param>
    /// <param name="root">The rank whose values are sent.</param>
    /// <param name="cancellationToken">Cancels the broadcast (which aborts the job's collectives).</param>
    /// <exception cref="ArgumentException">The tensor is not contiguous, not on <see cref="Device"/>, or of an unsupported type.</exception>
    /// <exception cref="CollectiveException">A worker failed, stalled or called something else; it is named.</exception>
    public void Broadcast(Tensor tensor, int root = 0, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, NumReplicasInSync);
        if (_communicator is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }

        var (pointer, count, type) = Describe(tensor, nameof(tensor));
        var elementSize = CollectiveDataTypes.SizeOf(type);
        var perBucket = Math.Max(1, _bucketBytes / elementSize);
        long offset = 0;
        do
        {
            var n = Math.Min(perBucket, count - offset);
            _communicator.Broadcast(pointer + (nint)(offset * elementSize), n, type, root, cancellationToken);
            offset += n;
        }
        while (offset < count);
    }

    /// <summary>
    /// Sums <paramref name="flat"/> (the gradient buffer, possibly followed by step statistics) across workers, in place,
    /// in buckets of <see cref="BucketBytes"/>, directly on the tensor's memory: host memory over the TCP ring, device
    /// memory through NCCL. On CUDA the reduction is enqueued on the default stream, the one TorchSharp's kernels run on
    /// (TorchSharp has no stream API), after the kernels that produced the gradients, and returns once it has finished.
    /// </summary>
    /// <param name="flat">A contiguous float32 or float64 tensor on <see cref="Device"/>, the same size on every worker.</param>
    /// <param name="cancellationToken">Cancels the reduction (which aborts the job's collectives).</param>
    /// <exception cref="ArgumentException">The tensor is not contiguous, not on <see cref="Device"/>, or of an unsupported type.</exception>
    /// <exception cref="CollectiveException">A worker failed, stalled or called something else; it is named.</exception>
    public void AllReduceSum(Tensor flat, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_communicator is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }

        var (pointer, count, type) = Describe(flat, nameof(flat));
        var started = Stopwatch.GetTimestamp();
        var elementSize = CollectiveDataTypes.SizeOf(type);
        var perBucket = Math.Max(1, _bucketBytes / elementSize);
        long offset = 0;
        do
        {
            var n = Math.Min(perBucket, count - offset);
            var bucket = pointer + (nint)(offset * elementSize);
            _communicator.AllReduce(bucket, bucket, n, type, ReduceOp.Sum, cancellationToken);
            offset += n;
        }
        while (offset < count);

        var elapsed = Stopwatch.GetTimestamp() - started;
        var bytes = count * elementSize;
        _allReduceCalls++;
        _bytesReduced += bytes;
        _allReduceTicks += elapsed;
        StrategyTelemetry.BytesReduced.Add(bytes);
        if (StrategyTelemetry.AllReduceDuration.Enabled)
        {
            StrategyTelemetry.AllReduceDuration.Record((double)elapsed / Stopwatch.Frequency);
        }
    }

    /// <summary>Sums small host values (example counts, loss sums, metric states) across workers, in place.</summary>
    /// <param name="values">The values; the same length on every worker.</param>
    /// <param name="cancellationToken">Cancels the reduction (which aborts the job's collectives).</param>
    /// <exception cref="CollectiveException">A worker failed, stalled or called something else; it is named.</exception>
    public void AllReduceSum(Span<double> values, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_communicator is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }

        AllReduceHost(values, ReduceOp.Sum, cancellationToken);
    }

    /// <summary>Returns once every worker has called it.</summary>
    /// <param name="cancellationToken">Cancels the wait (which aborts the job's collectives).</param>
    /// <exception cref="CollectiveException">A worker failed or did not arrive in time; it is named.</exception>
    public void Barrier(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_communicator is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }

        _communicator.Barrier(cancellationToken);
    }

    /// <summary>
    /// Every worker states whether it found a problem (null: none). When any did, every worker throws the same
    /// <see cref="ReplicaFailedException"/> naming the first failing rank, its message (up to
    /// <see cref="MaxErrorMessageBytes"/> UTF-8 bytes) and the other failing ranks, so no worker waits for one that gave
    /// up. Costs one all-reduce of one value per worker when nobody failed.
    /// </summary>
    /// <param name="localError">This worker's problem, or null.</param>
    /// <param name="stage">What was being checked, for the message (for example "input check before epoch 1"); the same on every worker.</param>
    /// <param name="cancellationToken">Cancels the exchange (which aborts the job's collectives).</param>
    /// <exception cref="ReplicaFailedException">Some worker reported a problem.</exception>
    /// <exception cref="CollectiveException">A worker failed, stalled or called something else; it is named.</exception>
    public void AgreeOnErrors(string? localError, string stage, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(stage);
        if (_communicator is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (localError is not null)
            {
                throw new ReplicaFailedException(0, stage, Describe(localError));
            }

            return;
        }

        var failing = FailingRanks(localError is not null, cancellationToken);
        if (failing.Count == 0)
        {
            return;
        }

        var first = failing[0];
        var message = ExchangeMessage(first, localError, cancellationToken);
        var detail = failing.Count == 1
            ? message
            : $"{message} (rank(s) {string.Join(", ", failing.Skip(1))} reported a problem too)";
        throw new ReplicaFailedException(first, stage, detail);
    }

    void IReplicaContext.BroadcastParameters(Tensor flatParameters, CancellationToken cancellationToken) => BroadcastParameters(flatParameters, cancellationToken);

    void IReplicaContext.AllReduceSum(Tensor flat, CancellationToken cancellationToken) => AllReduceSum(flat, cancellationToken);

    void IReplicaContext.AllReduceSum(Span<double> values, CancellationToken cancellationToken) => AllReduceSum(values, cancellationToken);

    void IReplicaContext.Barrier(CancellationToken cancellationToken) => Barrier(cancellationToken);

    void IReplicaContext.AgreeOnErrors(string? localError, string stage, CancellationToken cancellationToken) => AgreeOnErrors(localError, stage, cancellationToken);

    private static string Describe(string localError) => localError.Length == 0 ? "(the worker gave no message)" : localError;

    private List<int> FailingRanks(bool failed, CancellationToken cancellationToken)
    {
        // Slot r is 1 when rank r failed. Max instead of Sum gives the same flags, and a fingerprint no gradient
        // all-reduce has, so a worker that skipped this call is reported as a mismatch rather than mixed with gradients.
        var worldSize = NumReplicasInSync;
        var rented = worldSize > 256 ? ArrayPool<double>.Shared.Rent(worldSize) : null;
        var flags = rented is null ? stackalloc double[worldSize] : rented.AsSpan(0, worldSize);
        try
        {
            flags.Clear();
            flags[Rank] = failed ? 1 : 0;
            AllReduceHost(flags, ReduceOp.Max, cancellationToken);
            var failing = new List<int>();
            for (var rank = 0; rank < worldSize; rank++)
            {
                if (flags[rank] > 0.5)
                {
                    failing.Add(rank);
                }
            }

            return failing;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }
    }

    private string ExchangeMessage(int root, string? localError, CancellationToken cancellationToken)
    {
        // A fixed-size broadcast from the first failing rank: no store round trips, and every rank has the message when
        // the collective returns, even if that rank exits right after throwing. Slot 0 holds the byte length.
        Span<long> slots = stackalloc long[MessageSlots];
        slots.Clear();
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(slots[1..]);
        if (Rank == root)
        {
            slots[0] = Encode(Describe(localError ?? string.Empty), bytes[..MaxErrorMessageBytes]);
        }

        BroadcastHost(slots, root, cancellationToken);
        var length = (int)Math.Clamp(slots[0], 0, MaxErrorMessageBytes);
        return Encoding.UTF8.GetString(bytes[..length]);
    }

    private static int Encode(string message, Span<byte> destination)
    {
        const string Truncated = " [truncated]";
        var status = Utf8.FromUtf16(message, destination[..(destination.Length - Truncated.Length)], out _, out var written);
        if (status == System.Buffers.OperationStatus.DestinationTooSmall)
        {
            written += Encoding.UTF8.GetBytes(Truncated, destination[written..]);
        }

        return written;
    }

    private void AllReduceHost(Span<double> values, ReduceOp op, CancellationToken cancellationToken)
    {
        if (_staging is not null)
        {
            _staging.AllReduce(values, op, cancellationToken);
        }
        else
        {
            _communicator!.AllReduce(values, op, cancellationToken);
        }
    }

    private void BroadcastHost(Span<long> values, int root, CancellationToken cancellationToken)
    {
        if (_staging is not null)
        {
            _staging.Broadcast(values, root, cancellationToken);
        }
        else
        {
            _communicator!.Broadcast(values, root, cancellationToken);
        }
    }

    private (nint Pointer, long Count, CollectiveDataType Type) Describe(Tensor tensor, string parameter)
    {
        ArgumentNullException.ThrowIfNull(tensor, parameter);
        var type = TensorMemory.DataTypeOf(tensor.dtype)
            ?? throw new ArgumentException($"Rank {Rank}: collectives reduce float32, float64, int32 and int64 tensors, not {tensor.dtype}.", parameter);
        if (!tensor.is_contiguous())
        {
            throw new ArgumentException($"Rank {Rank}: the tensor of shape [{string.Join(", ", tensor.shape)}] is not contiguous; collectives work on one contiguous buffer (call contiguous(), or keep parameters and gradients in one flat buffer).", parameter);
        }

        var deviceType = tensor.device_type;
        if (deviceType != Device.type || (deviceType == DeviceType.CUDA && tensor.device_index != Device.index))
        {
            throw new ArgumentException($"Rank {Rank}: the tensor is on {tensor.device} but the strategy trains on {Device}; move it there first.", parameter);
        }

        return (TensorMemory.DataPointer(tensor), tensor.numel(), type);
    }
}
