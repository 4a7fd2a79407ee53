namespace Mlops.Distributed.Collectives;

/// <summary>
/// Span, array and <see cref="Memory{T}"/> overloads of the collectives for <see cref="float"/>, <see cref="double"/>,
/// <see cref="int"/> and <see cref="long"/> host memory. They pin the memory for the call and delegate to the pointer
/// methods of <see cref="ICollectiveCommunicator"/> (so a fake communicator sees every call).
/// </summary>
public static class CollectiveCommunicatorExtensions
{
    /// <summary>All-reduces <paramref name="buffer"/> in place.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="buffer">Input and output.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static unsafe void AllReduce<T>(this ICollectiveCommunicator communicator, Span<T> buffer, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        fixed (T* p = buffer)
        {
            communicator.AllReduce((nint)p, (nint)p, buffer.Length, CollectiveDataTypes.Of<T>(), op, cancellationToken);
        }
    }

    /// <summary>All-reduces <paramref name="send"/> into <paramref name="receive"/> (same length).</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="send">The input.</param>
    /// <param name="receive">The output.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static unsafe void AllReduce<T>(this ICollectiveCommunicator communicator, ReadOnlySpan<T> send, Span<T> receive, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        RequireLength(receive.Length, send.Length, nameof(receive));
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            communicator.AllReduce((nint)s, (nint)r, send.Length, CollectiveDataTypes.Of<T>(), op, cancellationToken);
        }
    }

    /// <summary>All-reduces an array in place.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="buffer">Input and output.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static void AllReduce<T>(this ICollectiveCommunicator communicator, T[] buffer, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
        where T : unmanaged => communicator.AllReduce(buffer.AsSpan(), op, cancellationToken);

    /// <summary>All-reduces <paramref name="buffer"/> in place without blocking the caller; the memory is pinned until the task completes.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="buffer">Input and output.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    public static async Task AllReduceAsync<T>(this ICollectiveCommunicator communicator, Memory<T> buffer, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        using var pin = buffer.Pin();
        await communicator.AllReduceAsync(Address(pin), Address(pin), buffer.Length, CollectiveDataTypes.Of<T>(), op, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Broadcasts the root's <paramref name="buffer"/> to every rank.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="buffer">The root's input, the others' output.</param>
    /// <param name="root">The rank whose buffer is sent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static unsafe void Broadcast<T>(this ICollectiveCommunicator communicator, Span<T> buffer, int root = 0, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        fixed (T* p = buffer)
        {
            communicator.Broadcast((nint)p, buffer.Length, CollectiveDataTypes.Of<T>(), root, cancellationToken);
        }
    }

    /// <summary>Broadcasts the root's <paramref name="buffer"/> without blocking the caller.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="buffer">The root's input, the others' output.</param>
    /// <param name="root">The rank whose buffer is sent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    public static async Task BroadcastAsync<T>(this ICollectiveCommunicator communicator, Memory<T> buffer, int root = 0, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        using var pin = buffer.Pin();
        await communicator.BroadcastAsync(Address(pin), buffer.Length, CollectiveDataTypes.Of<T>(), root, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gathers every rank's <paramref name="send"/> into <paramref name="receive"/> (world size × its length) in rank order.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="send">This rank's block.</param>
    /// <param name="receive">The output.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static unsafe void AllGather<T>(this ICollectiveCommunicator communicator, ReadOnlySpan<T> send, Span<T> receive, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        RequireLength(receive.Length, (long)send.Length * communicator.WorldSize, nameof(receive));
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            communicator.AllGather((nint)s, (nint)r, send.Length, CollectiveDataTypes.Of<T>(), cancellationToken);
        }
    }

    /// <summary>Gathers every rank's block without blocking the caller.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="send">This rank's block.</param>
    /// <param name="receive">The output.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    public static async Task AllGatherAsync<T>(this ICollectiveCommunicator communicator, ReadOnlyMemory<T> send, Memory<T> receive, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        RequireLength(receive.Length, (long)send.Length * communicator.WorldSize, nameof(receive));
        using var s = send.Pin();
        using var r = receive.Pin();
        await communicator.AllGatherAsync(Address(s), Address(r), send.Length, CollectiveDataTypes.Of<T>(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reduces every rank's <paramref name="send"/> (world size × block) and leaves block <c>rank</c> in <paramref name="receive"/>.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="send">The input.</param>
    /// <param name="receive">This rank's block of the result.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static unsafe void ReduceScatter<T>(this ICollectiveCommunicator communicator, ReadOnlySpan<T> send, Span<T> receive, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        RequireLength(send.Length, (long)receive.Length * communicator.WorldSize, nameof(send));
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            communicator.ReduceScatter((nint)s, (nint)r, receive.Length, CollectiveDataTypes.Of<T>(), op, cancellationToken);
        }
    }

    /// <summary>Reduce-scatters without blocking the caller.</summary>
    /// <typeparam name="T">float, double, int or long.</typeparam>
    /// <param name="communicator">The communicator.</param>
    /// <param name="send">The input.</param>
    /// <param name="receive">This rank's block of the result.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes with the collective.</returns>
    public static async Task ReduceScatterAsync<T>(this ICollectiveCommunicator communicator, ReadOnlyMemory<T> send, Memory<T> receive, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        RequireLength(send.Length, (long)receive.Length * communicator.WorldSize, nameof(send));
        using var s = send.Pin();
        using var r = receive.Pin();
        await communicator.ReduceScatterAsync(Address(s), Address(r), receive.Length, CollectiveDataTypes.Of<T>(), op, cancellationToken).ConfigureAwait(false);
    }

    private static unsafe nint Address(System.Buffers.MemoryHandle handle) => (nint)handle.Pointer;

    private static void RequireLength(long actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"The buffer has {actual} elements; this collective needs {expected}.", name);
        }
    }
}
