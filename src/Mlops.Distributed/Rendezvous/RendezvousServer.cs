using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mlops.Distributed.Rendezvous;

/// <summary>
/// The TCP key-value store that rank 0 hosts for one generation of a job (torch.distributed's TCPStore). Clients of
/// another generation, of another world size, or claiming a rank already connected are refused, so a restarted job never
/// mixes with processes of an earlier attempt. Waits carry a deadline and answer with the keys still missing.
/// </summary>
public sealed partial class RendezvousServer : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(10);
    private readonly TcpListener _listener;
    private readonly long _generation;
    private readonly int _worldSize;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);
    private readonly List<Waiter> _waiters = [];
    private readonly HashSet<int> _connectedRanks = [];
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private int _waitsInFlight;
    private int _parkedWaits;
    private volatile bool _closing;

    private RendezvousServer(TcpListener listener, long generation, int worldSize, TimeProvider timeProvider, ILogger logger)
    {
        _listener = listener;
        _generation = generation;
        _worldSize = worldSize;
        _timeProvider = timeProvider;
        _logger = logger;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// The number of Get/Wait requests parked on missing keys with their deadline already armed on the store's clock, so
    /// a test that sees a wait here can advance a fake clock past it (tests wait on it instead of sleeping).
    /// </summary>
    internal int PendingWaits => Volatile.Read(ref _parkedWaits);

    /// <summary>The address and port the store listens on (the port is the real one when 0 was asked for).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Starts a store listening on <paramref name="address"/>:<paramref name="port"/>.</summary>
    /// <param name="address">The address to listen on (<see cref="IPAddress.Any"/> for every interface).</param>
    /// <param name="port">The port; 0 picks a free one (see <see cref="EndPoint"/>).</param>
    /// <param name="generation">The job's generation; clients of another one are refused.</param>
    /// <param name="worldSize">The number of ranks in the job.</param>
    /// <param name="timeProvider">The clock for wait deadlines; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Logs connections and refusals.</param>
    /// <returns>The running store.</returns>
    /// <exception cref="RendezvousException">The port is in use or cannot be bound.</exception>
    public static RendezvousServer Start(IPAddress address, int port, long generation, int worldSize, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        var listener = new TcpListener(address, port);
        try
        {
            listener.Start(backlog: 512);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new RendezvousException($"The rendezvous store could not listen on {address}:{port}: {ex.Message}. Is another job (or an earlier attempt) still using MASTER_PORT {port}?", ex);
        }

        return new RendezvousServer(listener, generation, worldSize, timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Waits until no rank other than <paramref name="exceptRank"/> is connected (they finished or died), at most
    /// <paramref name="timeout"/>, so rank 0 does not take the store away from ranks still using it.
    /// </summary>
    /// <param name="exceptRank">The hosting rank's own client.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>Whether every other rank left in time.</returns>
    public bool WaitForOtherRanksToLeave(int exceptRank, TimeSpan timeout)
    {
        var started = Environment.TickCount64;
        while (true)
        {
            lock (_gate)
            {
                if (_connectedRanks.All(r => r == exceptRank))
                {
                    return true;
                }
            }

            if (Environment.TickCount64 - started > timeout.TotalMilliseconds)
            {
                return false;
            }

            Thread.Sleep(10);
        }
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _listener.Stop();
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
            _closing = true;

            // Answer pending waits with the keys still missing, so the ranks learn who did not arrive rather than
            // only that rank 0 went away.
            foreach (var waiter in _waiters)
            {
                waiter.Completion.TrySetResult();
            }
        }

        var started = Environment.TickCount64;
        while (Volatile.Read(ref _waitsInFlight) > 0 && Environment.TickCount64 - started < 500)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        _stopping.Cancel();

        var all = Task.WhenAll(connections.Append(_acceptLoop));
        try
        {
            // Every connection ends once cancelled; the bound keeps a starved thread pool from holding rank 0's exit.
            await all.WaitAsync(ShutdownWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("The rendezvous store's connections did not close within {Seconds} s of shutting down", ShutdownWait.TotalSeconds);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // Connections end with errors when the store shuts down under them; that is the point of stopping.
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            client.NoDelay = true;
            lock (_gate)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        int? rank = null;
        using (client)
        {
            var stream = client.GetStream();
            try
            {
                while (!_stopping.IsCancellationRequested)
                {
                    var request = await RendezvousProtocol.ReadMessageAsync(stream, _stopping.Token).ConfigureAwait(false);
                    if (request is null || request.Length == 0)
                    {
                        return;
                    }

                    var op = (RendezvousOp)request[0];
                    var (response, helloRank, close) = await HandleAsync(request, rank).ConfigureAwait(false);
                    rank ??= helloRank;
                    try
                    {
                        await stream.WriteAsync(response, _stopping.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        if (op is RendezvousOp.Get or RendezvousOp.Wait && rank is not null)
                        {
                            Interlocked.Decrement(ref _waitsInFlight);
                        }
                    }
                    if (close)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
            {
                _logger.LogDebug("Rendezvous connection of rank {Rank} ended: {Message}", rank, ex.Message);
            }
            finally
            {
                if (rank is not null)
                {
                    lock (_gate)
                    {
                        _connectedRanks.Remove(rank.Value);
                    }
                }
            }
        }
    }
}
