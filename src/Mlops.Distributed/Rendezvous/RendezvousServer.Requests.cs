using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Mlops.Distributed.Rendezvous;

/// <summary>How the store answers each request: hello (generation, world size, rank checks), set, get and wait with deadlines, add, compare-and-set, delete.</summary>
public sealed partial class RendezvousServer : IAsyncDisposable, IDisposable
{
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
        Task timer;
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        lock (_gate)
        {
            var missing = keys.Where(k => !_values.ContainsKey(k)).ToList();
            if (missing.Count == 0 || _closing)
            {
                return missing;
            }

            // Arm the deadline before the wait becomes visible (PendingWaits): a caller that sees the wait and then moves
            // the clock past it must find the timer already there, or the wait would outlive its deadline.
            timer = Task.Delay(ClampDelay(timeout), _timeProvider, delay.Token);
            waiter = new Waiter(keys);
            _waiters.Add(waiter);
            Interlocked.Increment(ref _parkedWaits);
        }

        try
        {
            await Task.WhenAny(waiter.Completion.Task, timer).ConfigureAwait(false);
        }
        finally
        {
            delay.Cancel();
            lock (_gate)
            {
                _waiters.Remove(waiter);
                Interlocked.Decrement(ref _parkedWaits);
            }
        }

        lock (_gate)
        {
            return keys.Where(k => !_values.ContainsKey(k)).ToList();
        }
    }

    // Timers refuse longer delays than int.MaxValue ms (about 24 days); a longer deadline is as good as none.
    private static TimeSpan ClampDelay(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero ? TimeSpan.Zero : timeout > RendezvousProtocol.MaxWait ? RendezvousProtocol.MaxWait : timeout;

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
