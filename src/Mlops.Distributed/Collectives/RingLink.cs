using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// One rank's two ring connections (to the next rank, from the previous one) and the framing on them: every piece
/// carries the sender's fingerprint, checked before the payload is used; failures become collective exceptions that
/// name the rank, and an abort frame travels around the ring so every rank fails with the same cause.
/// </summary>
internal sealed unsafe class RingLink : IDisposable
{
    private const int AbortLinger = 2000;

    // A rank sends under twice the buffer per collective and is never more than about one collective ahead of the next
    // rank; a pipe eight times the buffer therefore always has room, and inline sends cannot block each other.
    private const int InlinePipeFraction = 8;
    private readonly Socket _next;
    private readonly Socket _previous;
    private readonly SharedMemoryPipe? _outgoing;
    private readonly SharedMemoryPipe? _incoming;
    private readonly int _rank;
    private readonly int _nextRank;
    private readonly int _previousRank;
    private readonly TimeSpan _timeout;
    private readonly int _inlineBytes;
    private readonly RingSender _sender;
    private readonly byte[] _staging;
    private readonly byte[] _headerIn = new byte[RingFrameHeader.Size];
    private readonly bool _progress;
    private readonly Queue<PendingFrame> _pending = new();
    private int _headWritten;
    private byte[] _abortFrame = [];
    private bool _threaded;
    private bool _aborted;

    /// <summary>A link over the two TCP connections, with shared memory pipes carrying the bytes where the peer is on this host.</summary>
    public RingLink(Socket next, Socket previous, SharedMemoryPipe? outgoing, SharedMemoryPipe? incoming, int rank, int worldSize, TimeSpan timeout, int pieceBytes, int inlineBytes)
    {
        _inlineBytes = inlineBytes;
        _next = next;
        _previous = previous;
        _outgoing = outgoing;
        _incoming = incoming;
        _rank = rank;
        _nextRank = (rank + 1) % worldSize;
        _previousRank = (rank + worldSize - 1) % worldSize;
        _timeout = timeout;
        var ms = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds);
        _previous.ReceiveTimeout = ms;
        _next.SendTimeout = ms;
        if (_outgoing is not null)
        {
            _outgoing.Timeout = ms;
        }

        if (_incoming is not null)
        {
            _incoming.Timeout = ms;
        }

        _staging = GC.AllocateUninitializedArray<byte>(RingFrameHeader.Size + pieceBytes, pinned: true);
        _sender = new RingSender(next, outgoing, rank);

        // Both neighbours share memory with this rank: the calling thread moves bytes both ways, as MPICH's progress
        // engine does, writing while there is room and reading while there are bytes, never blocking on one while the
        // other could move. A piece just reduced then leaves from this core's cache, and no second thread competes for
        // the cores (ranks × 2 threads oversubscribe a small machine).
        _progress = outgoing is not null && incoming is not null;
    }

    public int PreviousRank => _previousRank;

    /// <summary>"shared-memory" when both directions use shared memory pipes, "tcp" when neither does, else "mixed".</summary>
    public string Transport => (_outgoing, _incoming) switch
    {
        (not null, not null) => "shared-memory",
        (null, null) => "tcp",
        _ => "mixed",
    };

    /// <summary>
    /// Starts a collective over a buffer of <paramref name="totalBytes"/>: inline sends (lower latency) for small ones,
    /// and over shared memory for any whose data fits the pipe many times over, since then a send never waits for
    /// room while the ranks wait on each other; threaded sends otherwise, so sends overlap receives.
    /// </summary>
    public void Begin(long totalBytes) =>
        _threaded = !_progress && totalBytes > _inlineBytes && (_outgoing is null || totalBytes > _outgoing.Capacity / InlinePipeFraction);

    public void Send(in CollectiveCall call, nint payload, int length)
    {
        var header = new RingFrameHeader(RingFrameKind.Data, call, length, _rank);
        if (_progress)
        {
            // Queued, then written as far as there is room; the rest goes while this thread waits to receive, or in Finish.
            _pending.Enqueue(new PendingFrame(header, payload));
            Flush(call);
            return;
        }

        if (_threaded)
        {
            _sender.Enqueue(header, payload);
            return;
        }

        if (_outgoing is not null)
        {
            // Shared memory: the header and the payload go straight into the pipe, no staging copy.
            Span<byte> frame = stackalloc byte[RingFrameHeader.Size];
            header.Write(frame);
            try
            {
                _outgoing.Write(frame);
                _outgoing.Write(new ReadOnlySpan<byte>((void*)payload, length));
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                throw SendFailed(call, ex);
            }

            return;
        }

        // Small collectives: one copy into the staging buffer and one send call, no thread hand-off.
        header.Write(_staging);
        new ReadOnlySpan<byte>((void*)payload, length).CopyTo(_staging.AsSpan(RingFrameHeader.Size));
        try
        {
            SendAll(_staging.AsSpan(0, RingFrameHeader.Size + length));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            throw SendFailed(call, ex);
        }
    }

    public void Receive(in CollectiveCall call, nint destination, int length)
    {
        try
        {
            ReceiveHeader(call, length);
            if (length > 0)
            {
                ReceiveAll(new Span<byte>((void*)destination, length), call);
            }
        }
        catch (CollectiveException ex)
        {
            throw Abort(ex);
        }
    }

    /// <summary>
    /// Receives a piece and reduces it into <paramref name="target"/> (<c>target[i] = op(target[i], piece[i])</c>). Over
    /// shared memory the sum reads the piece where it lies in the pipe; over TCP it lands in <paramref name="scratch"/> first.
    /// </summary>
    public void ReceiveReduce(in CollectiveCall call, nint target, int length, nint scratch)
    {
        try
        {
            ReceiveHeader(call, length);
            if (length == 0)
            {
                return;
            }

            if (_incoming is null)
            {
                ReceiveAll(new Span<byte>((void*)scratch, length), call);
                ReductionKernels.Reduce(target, scratch, length / CollectiveDataTypes.SizeOf(call.DataType), call.DataType, call.Op);
                return;
            }

            var size = CollectiveDataTypes.SizeOf(call.DataType);
            var consumer = new ReduceConsumer((byte*)target, size, call.DataType, call.Op);
            if (_progress)
            {
                Pump(call, length, size, ref consumer);
                return;
            }

            int got;
            try
            {
                got = _incoming.ReadInPlace(length, size, ref consumer);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                throw ReceiveFailed(call, ex);
            }

            if (got < length)
            {
                throw PreviousClosed(call);
            }
        }
        catch (CollectiveException ex)
        {
            throw Abort(ex);
        }
    }

    private void ReceiveHeader(in CollectiveCall call, int length)
    {
        ReceiveAll(_headerIn, call);
        if (!RingFrameHeader.TryRead(_headerIn, out var header))
        {
            throw new CollectiveException($"Rank {_rank} received a malformed frame from rank {_previousRank} during collective {call}; the ring's byte stream is corrupt.", _rank, _previousRank, call);
        }

        if (header.FrameKind == RingFrameKind.Abort)
        {
            var payload = new byte[header.PayloadBytes];
            ReceiveAll(payload, call);
            throw FromAbort(payload, call);
        }

        if (header.Call != call)
        {
            throw Mismatch(call, header.Call);
        }

        if (header.PayloadBytes != length)
        {
            throw new CollectiveException($"Rank {_rank} expected {length} bytes from rank {_previousRank} in collective {call} but got {header.PayloadBytes}; the ranks disagree on the layout.", _rank, _previousRank, call);
        }
    }

    /// <summary>Waits for the queued sends of a threaded collective to reach the socket.</summary>
    public void Finish(in CollectiveCall call)
    {
        if (_progress)
        {
            FlushAll(call);
            return;
        }

        if (!_threaded)
        {
            return;
        }

        bool drained;
        try
        {
            drained = _sender.WaitDrained(_timeout);
        }
        catch (IOException ex)
        {
            throw Abort(SendFailed(call, ex.InnerException ?? ex));
        }

        if (!drained)
        {
            throw Abort(new CollectiveTimeoutException(
                $"Rank {_rank} could not send to rank {_nextRank} for {_timeout.TotalSeconds:0.#} s in collective {call}: rank {_nextRank} stopped reading (stalled, or not calling this collective).",
                _rank,
                _nextRank,
                call));
        }
    }

    /// <summary>Aborts the ring (once): tells the next rank why, so the failure travels to every rank. Returns <paramref name="reason"/>.</summary>
    public CollectiveException Abort(CollectiveException reason)
    {
        if (_aborted)
        {
            return reason;
        }

        _aborted = true;
        _abortFrame = _abortFrame.Length > 0 ? _abortFrame : EncodeAbort(reason);
        try
        {
            var header = new RingFrameHeader(RingFrameKind.Abort, reason.Call ?? default, _abortFrame.Length - RingFrameHeader.Size, _rank);
            header.Write(_abortFrame);
            if (_progress)
            {
                AbortInPlace(header);
            }
            else if (_sender.Error is null)
            {
                _sender.ClearPending();
                fixed (byte* payload = &_abortFrame[RingFrameHeader.Size])
                {
                    // The sender thread owns the socket's byte stream, so the abort goes through it too.
                    _sender.Enqueue(header, (nint)payload);
                    if (!_sender.WaitDrained(TimeSpan.FromMilliseconds(Math.Min(AbortLinger, _timeout.TotalMilliseconds))))
                    {
                        // The next rank does not read: break the send so the sender thread lets go of the caller's memory.
                        _outgoing?.Close();
                        _next.Shutdown(SocketShutdown.Both);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            // The next rank is gone too; it will not need the message.
        }

        return reason;
    }

    /// <summary>Unblocks a receive or send in progress (cancellation); the ring is unusable afterwards.</summary>
    public void Cancel()
    {
        _aborted = true;
        _incoming?.Close();
        _outgoing?.Close();
        try
        {
            _previous.Shutdown(SocketShutdown.Both);
            _next.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public void Dispose()
    {
        _sender.Dispose();
        try
        {
            // The end of this rank's stream: the next rank's reads return 0 (a graceful close, not a reset).
            _outgoing?.Close();
            _next.Shutdown(SocketShutdown.Send);
            if (_aborted)
            {
                // Read what the previous rank still sends for a moment, so closing does not reset its connection
                // before it has read our abort frame. Bounded in total too: a peer that keeps streaming must not hold
                // this rank's exit.
                _previous.ReceiveTimeout = 200;
                if (_incoming is not null)
                {
                    _incoming.Timeout = 200;
                }

                Span<byte> sink = stackalloc byte[4096];
                var until = Environment.TickCount64 + AbortLinger;
                while (ReceiveSome(sink) > 0 && Environment.TickCount64 < until)
                {
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer.
        }

        _next.Dispose();
        _previous.Dispose();
        _outgoing?.Dispose();
        _incoming?.Dispose();
    }

    // Abort payload: kind, faulty rank, origin rank, then for a mismatch the origin's call and its predecessor's call
    // (so every rank can compare them with its own and tell which of the two diverged), then the message.
    private const int AbortFixedBytes = 9 + (2 * RingFrameHeader.Size);

    private byte[] EncodeAbort(CollectiveException reason)
    {
        var message = Encoding.UTF8.GetBytes(reason.Message);
        var frame = GC.AllocateUninitializedArray<byte>(RingFrameHeader.Size + AbortFixedBytes + message.Length, pinned: true);
        var body = frame.AsSpan(RingFrameHeader.Size);
        body[..AbortFixedBytes].Clear();
        body[0] = reason switch
        {
            CollectiveMismatchException => 1,
            CollectiveTimeoutException => 2,
            CollectivePeerLostException => 3,
            _ => 4,
        };
        BinaryPrimitives.WriteInt32LittleEndian(body[1..], reason.FaultyRank ?? -1);
        BinaryPrimitives.WriteInt32LittleEndian(body[5..], reason.Rank);
        if (reason is CollectiveMismatchException { Call: { } mine, OtherCall: { } theirs })
        {
            new RingFrameHeader(RingFrameKind.Data, mine, 0, reason.Rank).Write(body[9..]);
            new RingFrameHeader(RingFrameKind.Data, theirs, 0, reason.FaultyRank ?? -1).Write(body[(9 + RingFrameHeader.Size)..]);
        }

        message.CopyTo(body[AbortFixedBytes..]);
        return frame;
    }

    private CollectiveException FromAbort(byte[] payload, in CollectiveCall call)
    {
        // Forward the very bytes we received, so the original cause and its origin travel on unchanged.
        _abortFrame = GC.AllocateUninitializedArray<byte>(RingFrameHeader.Size + payload.Length, pinned: true);
        payload.CopyTo(_abortFrame.AsSpan(RingFrameHeader.Size));
        var faulty = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(1));
        var origin = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(5));
        var text = $"{Encoding.UTF8.GetString(payload.AsSpan(AbortFixedBytes))} [rank {origin} aborted the job's collectives; rank {_rank} stopped in {call}]";
        int? faultyRank = faulty >= 0 ? faulty : null;
        if (payload[0] == 1
            && RingFrameHeader.TryRead(payload.AsSpan(9), out var originCall)
            && RingFrameHeader.TryRead(payload.AsSpan(9 + RingFrameHeader.Size), out var otherCall))
        {
            // A third rank breaks the tie: the one of the two whose call differs from ours is the divergent rank.
            if (call == originCall.Call && call != otherCall.Call)
            {
                faultyRank = faulty;
                text += $" Rank {_rank} also called {call}, so rank {faulty} is the one that diverged.";
            }
            else if (call == otherCall.Call && call != originCall.Call)
            {
                faultyRank = origin;
                text += $" Rank {_rank} also called {call}, so rank {origin} is the one that diverged.";
            }
        }

        return payload[0] switch
        {
            1 => new CollectiveMismatchException(text, _rank, faultyRank, call, null, null),
            2 => new CollectiveTimeoutException(text, _rank, faultyRank, call),
            3 => new CollectivePeerLostException(text, _rank, faultyRank, call),
            _ => new CollectiveException(text, _rank, faultyRank, call),
        };
    }

    private CollectiveMismatchException Mismatch(in CollectiveCall mine, in CollectiveCall theirs) =>
        new(
            $"Collective mismatch: rank {_previousRank} called {theirs} but rank {_rank} called {mine}. Every rank must call the same collectives in the same order with the same type, size, reduction and root; one of these two ranks took a different code path.",
            _rank,
            _previousRank,
            mine,
            _previousRank,
            theirs);

    private CollectiveException SendFailed(in CollectiveCall call, Exception ex) =>
        ex is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock }
            ? new CollectiveTimeoutException($"Rank {_rank} could not send to rank {_nextRank} for {_timeout.TotalSeconds:0.#} s in collective {call}: rank {_nextRank} stopped reading (stalled, or not calling this collective).", _rank, _nextRank, call, innerException: ex)
            : new CollectivePeerLostException($"Rank {_rank} lost its connection to rank {_nextRank} in collective {call} ({ex.Message}): rank {_nextRank} exited or crashed.", _rank, _nextRank, call, ex);

    private void ReceiveAll(Span<byte> buffer, in CollectiveCall call)
    {
        if (_progress)
        {
            fixed (byte* destination = buffer)
            {
                var consumer = new CopyConsumer(destination);
                Pump(call, buffer.Length, 1, ref consumer);
            }

            return;
        }

        try
        {
            while (buffer.Length > 0)
            {
                var n = ReceiveSome(buffer);
                if (n == 0)
                {
                    throw PreviousClosed(call);
                }

                buffer = buffer[n..];
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            throw ReceiveFailed(call, ex);
        }
    }

    /// <summary>
    /// Progress mode: consumes <paramref name="length"/> incoming bytes through <paramref name="consumer"/> and, whenever
    /// nothing has arrived, writes queued frames as far as there is room. Sleeps only when neither side can move: on
    /// the outgoing pipe when frames wait for room (the next rank, which then has bytes to read, always reads them),
    /// otherwise on the incoming one.
    /// </summary>
    private void Pump<TConsumer>(in CollectiveCall call, int length, int unit, ref TConsumer consumer)
        where TConsumer : struct, IPipeConsumer
    {
        var incoming = _incoming!;
        var outgoing = _outgoing!;
        var done = 0;
        var forData = incoming.NewWaiter();
        var forRoom = outgoing.NewWaiter();
        while (true)
        {
            var before = done;
            bool open;
            try
            {
                open = incoming.TryReadInPlace(length, unit, ref consumer, ref done);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                throw ReceiveFailed(call, ex);
            }

            if (done == length)
            {
                return;
            }

            var sent = _pending.Count > 0 ? Flush(call) : 0;
            if (done > before || sent > 0)
            {
                forData = incoming.NewWaiter();
                forRoom = outgoing.NewWaiter();
                continue;
            }

            if (!open)
            {
                throw PreviousClosed(call);
            }

            if (_pending.Count > 0 && !outgoing.HasRoom)
            {
                WaitForRoom(call, ref forRoom);
                continue;
            }

            bool alive;
            try
            {
                alive = incoming.WaitForData(ref forData);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                throw ReceiveFailed(call, ex);
            }

            if (!alive)
            {
                throw PreviousClosed(call);
            }
        }
    }

    /// <summary>Writes queued frames, in order, as far as the outgoing pipe has room; returns the bytes written.</summary>
    private int Flush(in CollectiveCall call)
    {
        try
        {
            return FlushCore();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw Abort(SendFailed(call, ex));
        }
    }

    private int FlushCore()
    {
        var total = 0;
        Span<byte> header = stackalloc byte[RingFrameHeader.Size];
        while (_pending.TryPeek(out var frame))
        {
            if (_headWritten < RingFrameHeader.Size)
            {
                frame.Header.Write(header);
                var n = _outgoing!.TryWrite(header[_headWritten..]);
                _headWritten += n;
                total += n;
                if (_headWritten < RingFrameHeader.Size)
                {
                    return total;
                }
            }

            var payloadWritten = _headWritten - RingFrameHeader.Size;
            if (payloadWritten < frame.Header.PayloadBytes)
            {
                var n = _outgoing!.TryWrite(new ReadOnlySpan<byte>((byte*)frame.Payload + payloadWritten, frame.Header.PayloadBytes - payloadWritten));
                _headWritten += n;
                total += n;
                if (_headWritten < RingFrameHeader.Size + frame.Header.PayloadBytes)
                {
                    return total;
                }
            }

            _pending.Dequeue();
            _headWritten = 0;
        }

        return total;
    }

    /// <summary>Progress mode, end of a collective: every queued frame is written before the caller gets its memory back.</summary>
    private void FlushAll(in CollectiveCall call)
    {
        var forRoom = _outgoing!.NewWaiter();
        while (_pending.Count > 0)
        {
            if (Flush(call) > 0)
            {
                forRoom = _outgoing.NewWaiter();
            }
            else if (_pending.Count > 0)
            {
                WaitForRoom(call, ref forRoom);
            }
        }
    }

    private void WaitForRoom(in CollectiveCall call, ref SharedMemoryPipe.Waiter waiter)
    {
        bool alive;
        try
        {
            alive = _outgoing!.WaitForRoom(ref waiter);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw Abort(SendFailed(call, ex));
        }

        if (!alive)
        {
            throw Abort(SendFailed(call, new SocketException((int)SocketError.ConnectionReset)));
        }
    }

    /// <summary>
    /// Progress mode abort: the frame partly written is completed (the next rank's stream stays well formed), the rest
    /// of the queue dropped, and the abort frame written, all within the linger time; a next rank that does not read
    /// gets its pipe closed instead.
    /// </summary>
    private void AbortInPlace(in RingFrameHeader header)
    {
        var partial = _headWritten > 0 && _pending.TryPeek(out var head) ? head : (PendingFrame?)null;
        _pending.Clear();
        if (partial is { } frame)
        {
            _pending.Enqueue(frame);
        }

        fixed (byte* payload = &_abortFrame[RingFrameHeader.Size])
        {
            _pending.Enqueue(new PendingFrame(header, (nint)payload));
            var until = Environment.TickCount64 + (long)Math.Min(AbortLinger, _timeout.TotalMilliseconds);
            try
            {
                while (true)
                {
                    FlushCore();
                    if (_pending.Count == 0)
                    {
                        break;
                    }

                    if (Environment.TickCount64 >= until)
                    {
                        _outgoing!.Close();
                        break;
                    }

                    Thread.Sleep(1);
                }
            }
            finally
            {
                // Nothing may point at the abort frame's or the caller's memory once this returns.
                _pending.Clear();
                _headWritten = 0;
            }
        }
    }

    private CollectivePeerLostException PreviousClosed(in CollectiveCall call) =>
        new($"Rank {_rank} lost its connection to rank {_previousRank} in collective {call}: rank {_previousRank} closed it (exited or crashed).", _rank, _previousRank, call);

    private CollectiveException ReceiveFailed(in CollectiveCall call, Exception ex) =>
        ex is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock }
            ? new CollectiveTimeoutException(
                $"Rank {_rank} waited {_timeout.TotalSeconds:0.#} s for rank {_previousRank} in collective {call} without receiving anything: rank {_previousRank} (or a rank before it in the ring) is stalled or is not calling this collective.",
                _rank,
                _previousRank,
                call,
                innerException: ex)
            : new CollectivePeerLostException($"Rank {_rank} lost its connection to rank {_previousRank} in collective {call} ({ex.Message}): rank {_previousRank} exited or crashed.", _rank, _previousRank, call, ex);

    /// <summary>Copies the bytes of a piece, as they come out of the pipe, to the matching place of the destination.</summary>
    private readonly struct CopyConsumer(byte* destination) : IPipeConsumer
    {
        public void Consume(byte* source, int bytes, int offset) => Buffer.MemoryCopy(source, destination + offset, bytes, bytes);
    }

    /// <summary>A frame waiting for room in the outgoing pipe; its payload is the caller's memory until Finish returns.</summary>
    private readonly record struct PendingFrame(RingFrameHeader Header, nint Payload);

    /// <summary>Reduces the bytes of a piece, as they come out of the pipe, into the matching place of the target.</summary>
    private readonly struct ReduceConsumer(byte* target, int size, CollectiveDataType type, ReduceOp op) : IPipeConsumer
    {
        public void Consume(byte* source, int bytes, int offset) =>
            ReductionKernels.Reduce((nint)(target + offset), (nint)source, bytes / size, type, op);
    }

    private int ReceiveSome(Span<byte> buffer) => _incoming?.Read(buffer) ?? _previous.Receive(buffer);

    private void SendAll(ReadOnlySpan<byte> data)
    {
        if (_outgoing is not null)
        {
            _outgoing.Write(data);
            return;
        }

        while (data.Length > 0)
        {
            data = data[_next.Send(data)..];
        }
    }
}
