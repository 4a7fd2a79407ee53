namespace Mlops.Distributed.Collectives;

/// <summary>
/// Collective operations among the ranks of a job, on raw memory (host memory for the TCP ring, device memory for
/// NCCL). Every rank must call the same collectives in the same order with the same sizes; a rank that does not is
/// reported (see <see cref="CollectiveMismatchException"/>) instead of hanging. Calls run one at a time in call order;
/// asynchronous calls queue behind earlier ones. Span and array overloads are in <see cref="CollectiveCommunicatorExtensions"/>.
/// </summary>
public interface ICollectiveCommunicator : IDisposable
{
    /// <summary>This process's rank.</summary>
    int Rank { get; }

    /// <summary>The number of ranks.</summary>
    int WorldSize { get; }

    /// <summary>The backend's name (<c>tcp-ring</c>, <c>nccl</c>).</summary>
    string Backend { get; }

    /// <summary>The number of collectives started so far (the next call's sequence number).</summary>
    long Sequence { get; }

    /// <summary>The failure that aborted this communicator, or null while it is usable.</summary>
    CollectiveException? AbortReason { get; }

    /// <summary>All-reduces <paramref name="count"/> elements from <paramref name="send"/> into <paramref name="receive"/> (equal pointers: in place).</summary>
    /// <param name="send">The input buffer.</param>
    /// <param name="receive">The output buffer; may equal <paramref name="send"/>.</param>
    /// <param name="count">Elements in each buffer.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call; a cancelled collective aborts the communicator.</param>
    void AllReduce(nint send, nint receive, long count, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default);

    /// <summary>Copies <paramref name="count"/> elements of the root's <paramref name="buffer"/> into every rank's.</summary>
    /// <param name="buffer">The root's input, the other ranks' output.</param>
    /// <param name="count">Elements in the buffer.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="root">The rank whose buffer is sent.</param>
    /// <param name="cancellationToken">Cancels the call; a cancelled collective aborts the communicator.</param>
    void Broadcast(nint buffer, long count, CollectiveDataType dataType, int root, CancellationToken cancellationToken = default);

    /// <summary>Gathers every rank's <paramref name="countPerRank"/> elements into <paramref name="receive"/> in rank order.</summary>
    /// <param name="send">This rank's block.</param>
    /// <param name="receive">The output: <see cref="WorldSize"/> × <paramref name="countPerRank"/> elements.</param>
    /// <param name="countPerRank">Elements per rank.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="cancellationToken">Cancels the call; a cancelled collective aborts the communicator.</param>
    void AllGather(nint send, nint receive, long countPerRank, CollectiveDataType dataType, CancellationToken cancellationToken = default);

    /// <summary>Reduces every rank's <see cref="WorldSize"/> × <paramref name="countPerRank"/> elements; rank r receives block r.</summary>
    /// <param name="send">The input: <see cref="WorldSize"/> × <paramref name="countPerRank"/> elements.</param>
    /// <param name="receive">The output: <paramref name="countPerRank"/> elements.</param>
    /// <param name="countPerRank">Elements per block.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call; a cancelled collective aborts the communicator.</param>
    void ReduceScatter(nint send, nint receive, long countPerRank, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default);

    /// <summary>Returns once every rank has called it.</summary>
    /// <param name="cancellationToken">Cancels the call; a cancelled collective aborts the communicator.</param>
    void Barrier(CancellationToken cancellationToken = default);

    /// <summary>Queues <see cref="AllReduce"/>; the memory must stay valid until the task completes.</summary>
    /// <param name="send">The input buffer.</param>
    /// <param name="receive">The output buffer; may equal <paramref name="send"/>.</param>
    /// <param name="count">Elements in each buffer.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    Task AllReduceAsync(nint send, nint receive, long count, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default);

    /// <summary>Queues <see cref="Broadcast"/>; the memory must stay valid until the task completes.</summary>
    /// <param name="buffer">The root's input, the other ranks' output.</param>
    /// <param name="count">Elements in the buffer.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="root">The rank whose buffer is sent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    Task BroadcastAsync(nint buffer, long count, CollectiveDataType dataType, int root, CancellationToken cancellationToken = default);

    /// <summary>Queues <see cref="AllGather"/>; the memory must stay valid until the task completes.</summary>
    /// <param name="send">This rank's block.</param>
    /// <param name="receive">The output.</param>
    /// <param name="countPerRank">Elements per rank.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    Task AllGatherAsync(nint send, nint receive, long countPerRank, CollectiveDataType dataType, CancellationToken cancellationToken = default);

    /// <summary>Queues <see cref="ReduceScatter"/>; the memory must stay valid until the task completes.</summary>
    /// <param name="send">The input.</param>
    /// <param name="receive">The output block.</param>
    /// <param name="countPerRank">Elements per block.</param>
    /// <param name="dataType">The element type.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    Task ReduceScatterAsync(nint send, nint receive, long countPerRank, CollectiveDataType dataType, ReduceOp op, CancellationToken cancellationToken = default);

    /// <summary>Queues <see cref="Barrier"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when every rank has arrived.</returns>
    Task BarrierAsync(CancellationToken cancellationToken = default);
}
