using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mlops.Training.Distributed.Rendezvous;

/// <summary>
/// The TCP key-value store that rank 0 hosts for one generation of a job (torch.distributed's TCPStore). Clients of
/// another generation, of another world size, or claiming a rank already connected are refused, so a restarted job never
/// mixes with processes of an earlier attempt. Waits carry a deadline and answer with the keys still missing.
/// </summary>
public sealed class RendezvousServer : IAsyncDisposable, IDisposable
{
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

    /// <summary>The number of Get/Wait requests the store is holding (tests wait on it instead of sleeping).</summary>
    internal int PendingWaits => Volatile.Read(ref _waitsInFlight);

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
            throw new RendezvousException($"Rank 0 could not host the rendezvous store on {address}:{port}: {ex.Message}. Is another job (or an earlier attempt) still using MASTER_PORT {port}?", ex);
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

        try
        {
            await Task.WhenAll(connections.Append(_acceptLoop)).ConfigureAwait(false);
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

    private async Task<(byte[] Response, int? HelloRank, bool Close)> HandleAsync(byte[] request, int? rank)
    {
        using var reader = new BinaryReader(new MemoryStream(request), Encoding.UTF8);
        var op = (RendezvousOp)reader.ReadByte();
        if (op != RendezvousOp.Hello && rank is null)
        {
            return (Error("the first request must be a hello with the generation and rank"), null, true);
        }

        switch (op)
        {
            case RendezvousOp.Hello:
                return Hello(reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32());
            case RendezvousOp.Set:
            {
                var key = reader.ReadString();
                var value = RendezvousProtocol.ReadBytes(reader) ?? [];
                lock (_gate)
                {
                    _values[key] = value;
                    WakeWaiters();
                }

                return (Ok(_ => { }), null, false);
            }

            case RendezvousOp.TryGet:
            {
                var key = reader.ReadString();
                byte[]? value;
                lock (_gate)
                {
                    value = _values.GetValueOrDefault(key);
                }

                return (Ok(w => RendezvousProtocol.WriteBytes(w, value)), null, false);
            }

            case RendezvousOp.Get:
            case RendezvousOp.Wait:
            {
                var count = op == RendezvousOp.Get ? 1 : reader.ReadInt32();
                var keys = new string[count];
                for (var i = 0; i < count; i++)
                {
                    keys[i] = reader.ReadString();
                }

                var timeout = TimeSpan.FromMilliseconds(reader.ReadInt64());
                Interlocked.Increment(ref _waitsInFlight);
                List<string> missing;
                try
                {
                    missing = await WaitForKeysAsync(keys, timeout).ConfigureAwait(false);
                }
                catch
                {
                    Interlocked.Decrement(ref _waitsInFlight);
                    throw;
                }
                if (missing.Count > 0)
                {
                    return (Encode(RendezvousStatus.Timeout, w =>
                    {
                        w.Write(missing.Count);
                        foreach (var key in missing)
                        {
                            w.Write(key);
                        }

                        w.Write(_closing);
                    }), null, false);
                }

                byte[] first;
                lock (_gate)
                {
                    first = _values[keys[0]];
                }

                return (Ok(w => RendezvousProtocol.WriteBytes(w, op == RendezvousOp.Get ? first : null)), null, false);
            }

            case RendezvousOp.Add:
            {
                var key = reader.ReadString();
                var delta = reader.ReadInt64();
                long result;
                lock (_gate)
                {
                    var current = 0L;
                    if (_values.TryGetValue(key, out var existing) && !long.TryParse(Encoding.UTF8.GetString(existing), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out current))
                    {
                        return (Error($"key '{key}' holds a value that is not an integer, so it cannot be added to"), null, false);
                    }

                    result = current + delta;
                    _values[key] = Encoding.UTF8.GetBytes(result.ToString(CultureInfo.InvariantCulture));
                    WakeWaiters();
                }

                return (Ok(w => w.Write(result)), null, false);
            }

            case RendezvousOp.CompareAndSet:
            {
                var key = reader.ReadString();
                var expected = RendezvousProtocol.ReadBytes(reader);
                var desired = RendezvousProtocol.ReadBytes(reader) ?? [];
                byte[]? current;
                lock (_gate)
                {
                    current = _values.GetValueOrDefault(key);
                    var matches = expected is null ? current is null : current is not null && current.AsSpan().SequenceEqual(expected);
                    if (matches)
                    {
                        _values[key] = desired;
                        current = desired;
                        WakeWaiters();
                    }
                }

                return (Ok(w => RendezvousProtocol.WriteBytes(w, current)), null, false);
            }

            case RendezvousOp.Delete:
            {
                var key = reader.ReadString();
                bool removed;
                lock (_gate)
                {
                    removed = _values.Remove(key);
                }

                return (Ok(w => w.Write(removed)), null, false);
            }

            default:
                return (Error($"unknown operation {(byte)op}"), null, true);
        }
    }

    private (byte[] Response, int? HelloRank, bool Close) Hello(long generation, int rank, int worldSize)
    {
        if (generation != _generation)
        {
            _logger.LogWarning("Refused rank {Rank} of generation {Generation}; this store serves generation {Current}", rank, generation, _generation);
            return (Error($"rank {rank} belongs to generation {generation} but the store on rank 0 serves generation {_generation}; a process from another attempt of the job is still running, stop it"), null, true);
        }

        if (worldSize != _worldSize || rank < 0 || rank >= _worldSize)
        {
            return (Error($"rank {rank} says the world size is {worldSize} but the store on rank 0 was started for {_worldSize} ranks; the processes were launched with different WORLD_SIZE values"), null, true);
        }

        lock (_gate)
        {
            if (!_connectedRanks.Add(rank))
            {
                return (Error($"rank {rank} is already connected to the store; two processes were given the same RANK"), null, true);
            }
        }

        _logger.LogDebug("Rank {Rank} joined the rendezvous store of generation {Generation}", rank, generation);
        return (Ok(_ => { }), rank, false);
    }

    private async Task<List<string>> WaitForKeysAsync(string[] keys, TimeSpan timeout)
    {
        Waiter waiter;
        lock (_gate)
        {
            var missing = keys.Where(k => !_values.ContainsKey(k)).ToList();
            if (missing.Count == 0 || _closing)
            {
                return missing;
            }

            waiter = new Waiter(keys);
            _waiters.Add(waiter);
        }

        using var delay = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var timer = Task.Delay(timeout, _timeProvider, delay.Token);
        await Task.WhenAny(waiter.Completion.Task, timer).ConfigureAwait(false);
        delay.Cancel();
        lock (_gate)
        {
            _waiters.Remove(waiter);
            return keys.Where(k => !_values.ContainsKey(k)).ToList();
        }
    }

    private void WakeWaiters()
    {
        foreach (var waiter in _waiters)
        {
            if (waiter.Keys.All(_values.ContainsKey))
            {
                waiter.Completion.TrySetResult();
            }
        }
    }

    private static byte[] Ok(Action<BinaryWriter> write) => Encode(RendezvousStatus.Ok, write);

    private static byte[] Error(string message) => Encode(RendezvousStatus.Error, w => w.Write(message));

    private static byte[] Encode(RendezvousStatus status, Action<BinaryWriter> write) => RendezvousProtocol.Encode(w =>
    {
        w.Write((byte)status);
        write(w);
    });

    private sealed record Waiter(string[] Keys)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
