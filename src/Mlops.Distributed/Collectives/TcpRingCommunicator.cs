using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Rendezvous;
using Mlops.Hosting;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// Collectives on host memory over TCP, the embedded default backend. All-reduce is the bandwidth-optimal ring
/// (reduce-scatter then all-gather, each rank sending 2(n−1)/n of the buffer), cut into pieces that are pipelined: a
/// sender thread sends piece k while the calling thread receives and reduces piece k+1. Small collectives send from the
/// calling thread for latency. Neighbours on the same host move the bytes through shared memory pipes instead of TCP
/// loopback (see <see cref="CollectiveOptions.SharedMemory"/>). Buffers are reused across calls. Every piece
/// carries the call's fingerprint; a rank that crashes, stalls or calls something else makes every rank fail with an
/// error naming it, within the timeout.
/// </summary>
public sealed unsafe partial class TcpRingCommunicator : CollectiveCommunicator
{
    private const int HelloMagic = 0x4D4C5247;
    private const int HelloBytes = 24;
    private static readonly TimeSpan ConnectAttempt = TimeSpan.FromSeconds(2);
    private readonly RingLink? _link;
    private readonly RendezvousServer? _server;
    private readonly ILogger _logger;
    private readonly int _pieceBytes;
    private readonly int _segmentBytes;
    private readonly int _smallAllReduceBytes;
    private readonly byte[] _scratch;
    private nint _work;
    private long _workBytes;

    private TcpRingCommunicator(ClusterSpec spec, RendezvousClient store, RendezvousServer? server, RingLink? link, CollectiveOptions options, ILogger logger)
        : base(spec.Rank, spec.WorldSize)
    {
        Spec = spec;
        Store = store;
        _server = server;
        _link = link;
        _logger = logger;
        _pieceBytes = options.PieceBytes;
        _segmentBytes = options.SegmentBytes;
        _smallAllReduceBytes = options.SmallAllReduceBytes;
        _scratch = GC.AllocateUninitializedArray<byte>(options.PieceBytes, pinned: true);
    }

    /// <inheritdoc />
    public override string Backend => "tcp-ring";

    /// <summary>
    /// How this rank's ring bytes travel: "shared-memory" (both neighbours on this host, see
    /// <see cref="CollectiveOptions.SharedMemory"/>), "tcp", "mixed" (one of each), or "none" for one rank.
    /// </summary>
    public string Transport => _link?.Transport ?? "none";

    /// <summary>The cluster this communicator connects.</summary>
    public ClusterSpec Spec { get; }

    /// <summary>The job's rendezvous store (hosted by rank 0), for keys and barriers of the caller's own.</summary>
    public RendezvousClient Store { get; }

    /// <summary>
    /// Joins the job: rank 0 hosts the rendezvous store, every rank publishes a listening address, connects to the next
    /// rank and accepts the previous one. Fails within <see cref="CollectiveOptions.ConnectTimeout"/> naming the
    /// ranks that did not arrive.
    /// </summary>
    /// <param name="spec">This process's place in the job.</param>
    /// <param name="options">Timeouts and tuning; defaults when null.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="timeProvider">The clock for connection deadlines.</param>
    /// <param name="cancellationToken">Cancels joining.</param>
    /// <returns>The connected communicator.</returns>
    /// <exception cref="CollectiveTimeoutException">Some ranks did not join in time.</exception>
    /// <exception cref="RendezvousException">The store could not be hosted or reached, or refused this process.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public static TcpRingCommunicator Create(ClusterSpec spec, CollectiveOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options = MlopsOptions.Validate(options ?? new CollectiveOptions(), new CollectiveOptionsValidator());

        var clock = timeProvider ?? TimeProvider.System;
        var logger = (ILogger?)loggerFactory?.CreateLogger<TcpRingCommunicator>() ?? NullLogger.Instance;
        var started = Stopwatch.GetTimestamp();
        RendezvousServer? server = null;
        RendezvousClient? store = null;
        try
        {
            (server, store) = JobRendezvous.Join(spec, options, clock, logger, cancellationToken);
            var link = spec.WorldSize == 1 ? null : ConnectRing(spec, store, options, clock, cancellationToken);
            logger.LogInformation("Rank {Rank}/{WorldSize} joined the TCP ring (generation {Generation}) in {Ms:0} ms", spec.Rank, spec.WorldSize, spec.Generation, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new TcpRingCommunicator(spec, store, server, link, options, logger);
        }
        catch
        {
            store?.Dispose();
            server?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)_work);
        _work = 0;
        if (!disposing)
        {
            return;
        }

        _link?.Dispose();
        if (_server is not null && !_server.WaitForOtherRanksToLeave(Rank, TimeSpan.FromSeconds(5)))
        {
            // Rank 0 hosts the store: it stays up until the other ranks have closed their connections (or died).
            _logger.LogDebug("Rank 0 closed the rendezvous store while other ranks were still connected");
        }

        Store.Dispose();
        _server?.Dispose();
    }

    private static RingLink ConnectRing(ClusterSpec spec, RendezvousClient store, CollectiveOptions options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var rank = spec.Rank;
        var n = spec.WorldSize;
        var next = (rank + 1) % n;
        var previous = (rank + n - 1) % n;

        // Listen on the interface that reaches rank 0: it is the one the other hosts can reach us on too.
        var localAddress = store.LocalAddress ?? IPAddress.Loopback;
        if (localAddress.IsIPv4MappedToIPv6)
        {
            localAddress = localAddress.MapToIPv4();
        }

        using var listener = new Socket(localAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(localAddress, 0));
        listener.Listen(4);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        store.SetString("mlops/ring/" + rank.ToString(CultureInfo.InvariantCulture), $"{endPoint.Address}|{endPoint.Port}", cancellationToken);
        try
        {
            store.Wait(RendezvousClient.RankKeys("mlops/ring/", n), options.ConnectTimeout, cancellationToken);
        }
        catch (RendezvousTimeoutException ex)
        {
            throw new CollectiveTimeoutException(
                $"Rank {rank} gave up after {options.ConnectTimeout.TotalSeconds:0.#} s waiting for rank(s) {string.Join(", ", ex.MissingRanks)} to join the job (generation {spec.Generation}): they never started, crashed while starting, or were given another MASTER_ADDR/MASTER_PORT.",
                rank,
                ex.MissingRanks.Count > 0 ? ex.MissingRanks[0] : null,
                null,
                ex.MissingRanks,
                ex);
        }

        var parts = store.GetString("mlops/ring/" + next.ToString(CultureInfo.InvariantCulture), options.ConnectTimeout, cancellationToken).Split('|');
        var nextEndPoint = new IPEndPoint(IPAddress.Parse(parts[0]), int.Parse(parts[1], CultureInfo.InvariantCulture));
        Socket? toNext = null;
        Socket? fromPrevious = null;
        try
        {
            toNext = ConnectWithRetry(nextEndPoint, rank, next, options.ConnectTimeout, clock, cancellationToken);
            var sharedMemory = options.SharedMemory && SharedMemoryPipe.IsSupported;
            Span<byte> hello = stackalloc byte[HelloBytes];
            BinaryPrimitives.WriteInt32LittleEndian(hello, HelloMagic);
            BinaryPrimitives.WriteInt64LittleEndian(hello[4..], spec.Generation);
            BinaryPrimitives.WriteInt32LittleEndian(hello[12..], rank);
            BinaryPrimitives.WriteInt32LittleEndian(hello[16..], n);
            BinaryPrimitives.WriteInt32LittleEndian(hello[20..], sharedMemory ? 1 : 0);
            toNext.Send(hello);

            using (var accept = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                accept.CancelAfter(options.ConnectTimeout);
                try
                {
                    fromPrevious = listener.AcceptAsync(accept.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new CollectiveTimeoutException($"Rank {rank} waited {options.ConnectTimeout.TotalSeconds:0.#} s for rank {previous} to connect to it; rank {previous} is stuck or crashed while joining.", rank, previous, null, [previous]);
                }
            }

            fromPrevious.NoDelay = true;
            fromPrevious.ReceiveTimeout = (int)Math.Min(int.MaxValue, options.ConnectTimeout.TotalMilliseconds);
            Span<byte> theirs = stackalloc byte[HelloBytes];
            ReceiveExactly(fromPrevious, theirs, rank, previous);

            var (magic, generation, theirRank, theirWorld) = (BinaryPrimitives.ReadInt32LittleEndian(theirs), BinaryPrimitives.ReadInt64LittleEndian(theirs[4..]), BinaryPrimitives.ReadInt32LittleEndian(theirs[12..]), BinaryPrimitives.ReadInt32LittleEndian(theirs[16..]));
            if (magic != HelloMagic || generation != spec.Generation || theirRank != previous || theirWorld != n)
            {
                throw new CollectiveException($"Rank {rank} expected rank {previous} of generation {spec.Generation} (world size {n}) to connect, but a peer claiming rank {theirRank} of generation {generation} (world size {theirWorld}) did; a process of another attempt is still running.", rank, theirRank, null);
            }

            toNext.ReceiveTimeout = fromPrevious.ReceiveTimeout;
            var (outgoing, incoming) = NegotiateSharedMemory(toNext, fromPrevious, sharedMemory, BinaryPrimitives.ReadInt32LittleEndian(theirs[20..]) == 1, options, rank, next, previous);
            return new RingLink(toNext, fromPrevious, outgoing, incoming, rank, n, options.CollectiveTimeout, options.PieceBytes, options.InlineBytes);
        }
        catch (SocketException ex)
        {
            toNext?.Dispose();
            fromPrevious?.Dispose();
            throw new CollectivePeerLostException($"Rank {rank} could not set up its ring connections to ranks {next} and {previous}: {ex.Message}.", rank, null, null, ex);
        }
        catch
        {
            toNext?.Dispose();
            fromPrevious?.Dispose();
            throw;
        }
    }

    private static Socket ConnectWithRetry(IPEndPoint endPoint, int rank, int next, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        while (true)
        {
            var left = timeout - clock.GetElapsedTime(started);
            try
            {
                return ConnectWithin(endPoint, left > ConnectAttempt ? ConnectAttempt : left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            }
            catch (SocketException ex)
            {
                if (clock.GetElapsedTime(started) > timeout)
                {
                    throw new CollectiveTimeoutException($"Rank {rank} could not connect to rank {next} at {endPoint} within {timeout.TotalSeconds:0.#} s: {ex.Message}.", rank, next, null, [next], ex);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// A connect that gives up after <paramref name="limit"/>: a plain blocking connect to a host that drops packets
    /// waits for the kernel's SYN retries (about two minutes). The socket stays a synchronous one for the ring.
    /// </summary>
    private static Socket ConnectWithin(IPEndPoint endPoint, TimeSpan limit)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Blocking = false;
            try
            {
                socket.Connect(endPoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                if (!socket.Poll(limit, SelectMode.SelectWrite))
                {
                    throw new SocketException((int)SocketError.TimedOut);
                }

                var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }
            }

            socket.Blocking = true;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
