using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Mlops.Distributed.Rendezvous;

/// <summary>The client's request/response transport (one request at a time, sync and async) and the translation of the store's answers into exceptions.</summary>
public partial class RendezvousClient : IDisposable
{
    private string NextBarrierPrefix(string name)
    {
        lock (_barrierRounds)
        {
            var round = _barrierRounds.GetValueOrDefault(name);
            _barrierRounds[name] = round + 1;
            return $"barrier/{name}/{round}/";
        }
    }

    private static void WriteWait(BinaryWriter writer, RendezvousOp op, IReadOnlyList<string> keys, TimeSpan timeout)
    {
        writer.Write((byte)op);
        if (op == RendezvousOp.Wait)
        {
            writer.Write(keys.Count);
        }

        foreach (var key in keys)
        {
            writer.Write(key);
        }

        writer.Write((long)Math.Max(0, timeout.TotalMilliseconds));
    }

    private byte[]? ReadValue(byte[] body, IReadOnlyList<string> keys, TimeSpan timeout)
    {
        using var reader = new BinaryReader(new MemoryStream(body), Encoding.UTF8);
        return RendezvousProtocol.ReadBytes(reader);
    }

    private byte[] Send(Action<BinaryWriter> write, TimeSpan wait, CancellationToken cancellationToken)
    {
        var request = RendezvousProtocol.Encode(write);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _gate.Wait(cancellationToken);
        try
        {
            using var registration = cancellationToken.Register(static s => ((Socket)s!).Dispose(), _socket!);
            _socket!.ReceiveTimeout = (int)ResponseDeadline(wait).TotalMilliseconds;
            _socket.Send(request);
            return Interpret(RendezvousProtocol.ReadMessage(_socket));
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
        {
            throw Lost(ex);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw new OperationCanceledException("The rendezvous request was cancelled; the connection to the store is closed.", ex, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<byte[]> SendAsync(Action<BinaryWriter> write, TimeSpan wait, CancellationToken cancellationToken)
    {
        var request = RendezvousProtocol.Encode(write);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(ResponseDeadline(wait));
            await _stream!.WriteAsync(request, deadline.Token).ConfigureAwait(false);
            return Interpret(await RendezvousProtocol.ReadMessageAsync(_stream, deadline.Token).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Lost(ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    // The store answers a wait by its deadline at the latest; the grace covers the round trip. Never unbounded, and
    // within what socket timeouts and timers accept.
    private static TimeSpan ResponseDeadline(TimeSpan wait) =>
        wait <= TimeSpan.Zero ? ResponseGrace
        : wait >= RendezvousProtocol.MaxWait - ResponseGrace ? RendezvousProtocol.MaxWait
        : wait + ResponseGrace;

    private RendezvousException Lost(Exception ex) =>
        new($"Rank {Rank} lost the rendezvous store at {Address} (hosted by rank 0): {ex.Message}. Rank 0 has probably stopped or crashed.", ex);

    private byte[] Interpret(byte[]? response)
    {
        if (response is null || response.Length == 0)
        {
            throw new RendezvousException($"The rendezvous store at {Address} (rank 0) closed the connection of rank {Rank}; rank 0 has probably stopped.");
        }

        var status = (RendezvousStatus)response[0];
        using var reader = new BinaryReader(new MemoryStream(response, 1, response.Length - 1), Encoding.UTF8);
        switch (status)
        {
            case RendezvousStatus.Ok:
                return response[1..];
            case RendezvousStatus.Error:
                throw new RendezvousException($"The rendezvous store at {Address} refused rank {Rank}: {reader.ReadString()}.");
            default:
                var count = reader.ReadInt32();
                var missing = new string[count];
                for (var i = 0; i < count; i++)
                {
                    missing[i] = reader.ReadString();
                }

                throw MissingKeys(missing, closing: reader.ReadBoolean());
        }
    }

    private RendezvousTimeoutException MissingKeys(string[] missing, bool closing)
    {
        // Keys that end in a rank number (barriers, per-rank addresses) let the error name who did not arrive.
        var ranks = new List<int>();
        foreach (var key in missing)
        {
            var slash = key.LastIndexOf('/');
            if (slash >= 0 && int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var rank) && rank < WorldSize)
            {
                ranks.Add(rank);
            }
        }

        var who = ranks.Count == missing.Length && ranks.Count > 0
            ? $"rank(s) {string.Join(", ", ranks)} did not arrive (keys {string.Join(", ", missing.Take(8))})"
            : $"key(s) {string.Join(", ", missing.Take(8))}{(missing.Length > 8 ? ", …" : string.Empty)} were not set";
        return closing
            ? new RendezvousTimeoutException($"Rank {Rank} was waiting on the rendezvous store at {Address} when rank 0 shut it down (rank 0 failed or gave up): {who}.", missing, ranks)
            : new RendezvousTimeoutException($"Rank {Rank} timed out waiting on the rendezvous store at {Address}: {who}.", missing, ranks);
    }
}
