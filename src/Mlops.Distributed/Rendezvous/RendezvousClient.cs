using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Mlops.Distributed.Rendezvous;

/// <summary>
/// A rank's connection to the job's <see cref="RendezvousServer"/>: set, get and wait for keys, atomic add,
/// compare-and-set and barriers. Every wait takes a deadline; a wait that passes it throws a
/// <see cref="RendezvousTimeoutException"/> naming the keys and ranks that did not arrive. Thread-safe: requests are
/// sent one at a time. Methods are virtual so consumers can fake the store in unit tests.
/// </summary>
public partial class RendezvousClient : IDisposable
{
    private static readonly TimeSpan ResponseGrace = TimeSpan.FromSeconds(10);
    private readonly Socket? _socket;
    private readonly NetworkStream? _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, int> _barrierRounds = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>For fakes in consumers' tests.</summary>
    protected RendezvousClient()
    {
        Address = string.Empty;
    }

    private RendezvousClient(Socket socket, string address, int rank, int worldSize, long generation)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Address = address;
        Rank = rank;
        WorldSize = worldSize;
        Generation = generation;
    }

    /// <summary>The local address of the connection to the store: the interface other ranks can reach this host on.</summary>
    internal System.Net.IPAddress? LocalAddress => (_socket?.LocalEndPoint as System.Net.IPEndPoint)?.Address;

    /// <summary>The store's address as <c>host:port</c>.</summary>
    public virtual string Address { get; }

    /// <summary>This client's rank.</summary>
    public virtual int Rank { get; }

    /// <summary>The number of ranks in the job.</summary>
    public virtual int WorldSize { get; }

    /// <summary>The job generation this client belongs to.</summary>
    public virtual long Generation { get; }

    /// <summary>
    /// Connects to the store, retrying while rank 0 is not listening yet, until <paramref name="timeout"/> passes.
    /// </summary>
    /// <param name="host">Rank 0's host name or address.</param>
    /// <param name="port">The store's port.</param>
    /// <param name="generation">This process's generation; the store refuses other generations.</param>
    /// <param name="rank">This process's rank.</param>
    /// <param name="worldSize">The number of ranks.</param>
    /// <param name="timeout">How long to keep trying.</param>
    /// <param name="timeProvider">The clock for the deadline; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="RendezvousException">The store was not reachable in time or refused this process.</exception>
    public static RendezvousClient Connect(string host, int port, long generation, int rank, int worldSize, TimeSpan timeout, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(host, port, generation, rank, worldSize, timeout, timeProvider, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <summary>Connects to the store as <see cref="Connect"/> does.</summary>
    /// <param name="host">Rank 0's host name or address.</param>
    /// <param name="port">The store's port.</param>
    /// <param name="generation">This process's generation; the store refuses other generations.</param>
    /// <param name="rank">This process's rank.</param>
    /// <param name="worldSize">The number of ranks.</param>
    /// <param name="timeout">How long to keep trying.</param>
    /// <param name="timeProvider">The clock for the deadline; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="RendezvousException">The store was not reachable in time or refused this process.</exception>
    public static async ValueTask<RendezvousClient> ConnectAsync(string host, int port, long generation, int rank, int worldSize, TimeSpan timeout, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        var clock = timeProvider ?? TimeProvider.System;
        var started = clock.GetTimestamp();
        var address = $"{host}:{port}";
        Exception? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                await socket.ConnectAsync(host, port, attempt.Token).ConfigureAwait(false);
                var client = new RendezvousClient(socket, address, rank, worldSize, generation);
                try
                {
                    await client.SendAsync(
                        w =>
                        {
                            w.Write((byte)RendezvousOp.Hello);
                            w.Write(generation);
                            w.Write(rank);
                            w.Write(worldSize);
                        },
                        TimeSpan.Zero,
                        cancellationToken).ConfigureAwait(false);
                    return client;
                }
                catch
                {
                    client.Dispose();
                    throw;
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            if (clock.GetElapsedTime(started) >= timeout)
            {
                throw new RendezvousException($"Rank {rank} could not reach the rendezvous store at {address} (hosted by rank 0) within {timeout.TotalSeconds:0.#} s: {last?.Message}. Check that rank 0 started and that MASTER_ADDR/MASTER_PORT point at it.", last);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, waking waiters.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public virtual void Set(string key, ReadOnlySpan<byte> value, CancellationToken cancellationToken = default)
    {
        var copy = value.ToArray();
        Send(w =>
        {
            w.Write((byte)RendezvousOp.Set);
            w.Write(key);
            RendezvousProtocol.WriteBytes(w, copy);
        }, TimeSpan.Zero, cancellationToken);
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, waking waiters.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the store has the value.</returns>
    public virtual async Task SetAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var copy = value.ToArray();
        await SendAsync(w =>
        {
            w.Write((byte)RendezvousOp.Set);
            w.Write(key);
            RendezvousProtocol.WriteBytes(w, copy);
        }, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets a UTF-8 string value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public void SetString(string key, string value, CancellationToken cancellationToken = default) => Set(key, Encoding.UTF8.GetBytes(value), cancellationToken);

    /// <summary>Returns the value of <paramref name="key"/>, waiting for it to be set until <paramref name="timeout"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value.</returns>
    /// <exception cref="RendezvousTimeoutException">The key was not set in time.</exception>
    public virtual byte[] Get(string key, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReadValue(Send(w => WriteWait(w, RendezvousOp.Get, [key], timeout), timeout, cancellationToken), [key], timeout)!;

    /// <summary>Returns the value of <paramref name="key"/>, waiting for it until <paramref name="timeout"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value.</returns>
    /// <exception cref="RendezvousTimeoutException">The key was not set in time.</exception>
    public virtual async Task<byte[]> GetAsync(string key, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReadValue(await SendAsync(w => WriteWait(w, RendezvousOp.Get, [key], timeout), timeout, cancellationToken).ConfigureAwait(false), [key], timeout)!;

    /// <summary>Returns a UTF-8 string value, waiting for it until <paramref name="timeout"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value.</returns>
    public string GetString(string key, TimeSpan timeout, CancellationToken cancellationToken = default) => Encoding.UTF8.GetString(Get(key, timeout, cancellationToken));

    /// <summary>Returns the value of <paramref name="key"/>, or null when it is not set; does not wait.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The value or null.</returns>
    public virtual byte[]? TryGet(string key, CancellationToken cancellationToken = default) =>
        ReadValue(Send(w =>
        {
            w.Write((byte)RendezvousOp.TryGet);
            w.Write(key);
        }, TimeSpan.Zero, cancellationToken), [key], TimeSpan.Zero);

    /// <summary>Waits until every key in <paramref name="keys"/> is set, until <paramref name="timeout"/>.</summary>
    /// <param name="keys">The keys.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="RendezvousTimeoutException">Some keys were not set in time; the exception lists them.</exception>
    public virtual void Wait(IReadOnlyList<string> keys, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReadValue(Send(w => WriteWait(w, RendezvousOp.Wait, keys, timeout), timeout, cancellationToken), keys, timeout);

    /// <summary>Waits until every key in <paramref name="keys"/> is set, until <paramref name="timeout"/>.</summary>
    /// <param name="keys">The keys.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when all keys are set.</returns>
    /// <exception cref="RendezvousTimeoutException">Some keys were not set in time; the exception lists them.</exception>
    public virtual async Task WaitAsync(IReadOnlyList<string> keys, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReadValue(await SendAsync(w => WriteWait(w, RendezvousOp.Wait, keys, timeout), timeout, cancellationToken).ConfigureAwait(false), keys, timeout);

    /// <summary>Atomically adds <paramref name="delta"/> to the integer at <paramref name="key"/> (absent counts as 0).</summary>
    /// <param name="key">The key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new value.</returns>
    public virtual long Add(string key, long delta, CancellationToken cancellationToken = default)
    {
        using var reader = new BinaryReader(new MemoryStream(Send(w =>
        {
            w.Write((byte)RendezvousOp.Add);
            w.Write(key);
            w.Write(delta);
        }, TimeSpan.Zero, cancellationToken)));
        return reader.ReadInt64();
    }

    /// <summary>Atomically adds <paramref name="delta"/> to the integer at <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new value.</returns>
    public virtual async Task<long> AddAsync(string key, long delta, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(w =>
        {
            w.Write((byte)RendezvousOp.Add);
            w.Write(key);
            w.Write(delta);
        }, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return BitConverter.ToInt64(body);
    }

    /// <summary>
    /// Sets <paramref name="key"/> to <paramref name="desired"/> only if it currently holds <paramref name="expected"/>
    /// (null: only if absent).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">The value required for the swap, or null for "not set".</param>
    /// <param name="desired">The new value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The value after the operation: <paramref name="desired"/> when it swapped, else the current one (null if absent).</returns>
    public virtual byte[]? CompareAndSet(string key, byte[]? expected, byte[] desired, CancellationToken cancellationToken = default) =>
        ReadValue(Send(w =>
        {
            w.Write((byte)RendezvousOp.CompareAndSet);
            w.Write(key);
            RendezvousProtocol.WriteBytes(w, expected);
            RendezvousProtocol.WriteBytes(w, desired);
        }, TimeSpan.Zero, cancellationToken), [key], TimeSpan.Zero);

    /// <summary>Deletes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether the key existed.</returns>
    public virtual bool Delete(string key, CancellationToken cancellationToken = default) =>
        Send(w =>
        {
            w.Write((byte)RendezvousOp.Delete);
            w.Write(key);
        }, TimeSpan.Zero, cancellationToken)[0] != 0;

    /// <summary>
    /// Waits until every rank has called the barrier <paramref name="name"/> (the n-th call on each rank meets the n-th on
    /// the others). On timeout the exception names the ranks that did not arrive.
    /// </summary>
    /// <param name="name">The barrier's name.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="RendezvousTimeoutException">Some ranks did not arrive in time.</exception>
    public virtual void Barrier(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var prefix = NextBarrierPrefix(name);
        Set(prefix + Rank.ToString(CultureInfo.InvariantCulture), [1], cancellationToken);
        Wait(RankKeys(prefix, WorldSize), timeout, cancellationToken);
    }

    /// <summary>Waits until every rank has called the barrier <paramref name="name"/>, as <see cref="Barrier"/> does.</summary>
    /// <param name="name">The barrier's name.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when every rank arrived.</returns>
    /// <exception cref="RendezvousTimeoutException">Some ranks did not arrive in time.</exception>
    public virtual async Task BarrierAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var prefix = NextBarrierPrefix(name);
        await SetAsync(prefix + Rank.ToString(CultureInfo.InvariantCulture), new byte[] { 1 }, cancellationToken).ConfigureAwait(false);
        await WaitAsync(RankKeys(prefix, WorldSize), timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The keys <c>prefix0</c> … <c>prefix(n−1)</c>; waits on them report missing ranks.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="worldSize">The number of ranks.</param>
    /// <returns>The keys.</returns>
    public static IReadOnlyList<string> RankKeys(string prefix, int worldSize) =>
        Enumerable.Range(0, worldSize).Select(r => prefix + r.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the connection.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        _stream?.Dispose();
        _socket?.Dispose();
        _gate.Dispose();
    }
}
