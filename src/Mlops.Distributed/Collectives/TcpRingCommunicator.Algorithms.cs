namespace Mlops.Distributed.Collectives;

/// <summary>The ring algorithms. Chunk c of a buffer of <c>count</c> elements is <c>[c·count/n, (c+1)·count/n)</c>.</summary>
public sealed unsafe partial class TcpRingCommunicator
{
    /// <inheritdoc />
    protected override void AllReduceCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken)
    {
        var size = CollectiveDataTypes.SizeOf(call.DataType);
        if (_link is null)
        {
            if (send != receive && call.Count > 0)
            {
                Buffer.MemoryCopy((void*)send, (void*)receive, call.Count * size, call.Count * size);
            }

            return;
        }

        var c = call;
        if (c.Count > 0 && c.Count * size * WorldSize <= _smallAllReduceBytes)
        {
            Guard(c, cancellationToken, () => SmallAllReduce(c, send, receive, size));
            return;
        }

        Guard(c, cancellationToken, () =>
        {
            _link.Begin(c.Count * size);
            var segmentElements = Math.Max(WorldSize, _segmentBytes / size);
            for (long first = 0; first < Math.Max(1, c.Count); first += segmentElements)
            {
                var count = Math.Min(segmentElements, c.Count - first);
                var data = (byte*)receive + (first * size);
                if (send != receive && count > 0)
                {
                    Buffer.MemoryCopy((byte*)send + (first * size), data, count * size, count * size);
                }

                ReduceScatterPhase(c, data, count, size, shift: 0, continueToAllGather: true);
                AllGatherPhase(c, data, count, size, owned: Mod(Rank + 1), alreadySent: true);
            }

            _link.Finish(c);
        });
    }

    /// <summary>
    /// Small buffers: latency, not bandwidth, decides. Every rank's whole buffer goes round the ring (n − 1 steps instead
    /// of the 2(n − 1) of reduce-scatter and all-gather), and each rank then reduces the n buffers in rank order, so all
    /// ranks compute the very same sums, bit for bit.
    /// </summary>
    private void SmallAllReduce(in CollectiveCall call, nint send, nint receive, int size)
    {
        var bytes = call.Count * size;
        var n = WorldSize;
        EnsureWork(bytes * n);
        var w = (byte*)_work;
        Buffer.MemoryCopy((void*)send, w + (Rank * bytes), bytes, bytes);
        _link!.Begin(bytes * n);
        AllGatherPhase(call, w, call.Count * n, size, owned: Rank, alreadySent: false);
        _link.Finish(call);
        Buffer.MemoryCopy(w, (void*)receive, bytes, bytes);
        for (var r = 1; r < n; r++)
        {
            ReductionKernels.Reduce(receive, (nint)(w + (r * bytes)), call.Count, call.DataType, call.Op);
        }

        if (call.Op == ReduceOp.Average)
        {
            ReductionKernels.Divide(receive, call.Count, call.DataType, n);
        }
    }

    /// <inheritdoc />
    protected override void ReduceScatterCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken)
    {
        var size = CollectiveDataTypes.SizeOf(call.DataType);
        var blockBytes = call.Count * size;
        if (_link is null)
        {
            Buffer.MemoryCopy((void*)send, (void*)receive, blockBytes, blockBytes);
            return;
        }

        // Reduce in a reusable work copy: the input is read-only and the output holds one block only.
        var total = blockBytes * WorldSize;
        EnsureWork(total);
        var w = (byte*)_work;
        var c = call;
        Buffer.MemoryCopy((void*)send, w, total, total);
        Guard(c, cancellationToken, () =>
        {
            _link.Begin(total);
            ReduceScatterPhase(c, w, c.Count * WorldSize, size, shift: -1, continueToAllGather: false);
            _link.Finish(c);
        });
        Buffer.MemoryCopy(w + (Rank * blockBytes), (void*)receive, blockBytes, blockBytes);
    }

    /// <inheritdoc />
    protected override void AllGatherCore(in CollectiveCall call, nint send, nint receive, CancellationToken cancellationToken)
    {
        var size = CollectiveDataTypes.SizeOf(call.DataType);
        var blockBytes = call.Count * size;
        var mine = (byte*)receive + (Rank * blockBytes);
        if ((byte*)send != mine)
        {
            Buffer.MemoryCopy((void*)send, mine, blockBytes, blockBytes);
        }

        if (_link is null)
        {
            return;
        }

        var c = call;
        Guard(c, cancellationToken, () =>
        {
            _link.Begin(blockBytes * WorldSize);
            AllGatherPhase(c, (byte*)receive, c.Count * WorldSize, size, owned: Rank, alreadySent: false);
            _link.Finish(c);
        });
    }

    /// <inheritdoc />
    protected override void BroadcastCore(in CollectiveCall call, nint buffer, CancellationToken cancellationToken)
    {
        if (_link is null)
        {
            return;
        }

        var size = CollectiveDataTypes.SizeOf(call.DataType);
        var c = call;
        Guard(c, cancellationToken, () =>
        {
            // A pipelined chain root → root+1 → … → root−1; the last rank acknowledges to the root, so the root too
            // learns of a rank that called something else.
            _link.Begin(c.Count * size);
            var position = Mod(Rank - c.Root);
            var data = (byte*)buffer;
            var pieceElements = _pieceBytes / size;
            var pieces = PieceCount(c.Count, pieceElements);
            for (long k = 0; k < pieces; k++)
            {
                var offset = k * pieceElements;
                var bytes = (int)(Math.Min(pieceElements, c.Count - offset) * size);
                var piece = (nint)(data + (offset * size));
                if (position == 0)
                {
                    _link.Send(c, piece, bytes);
                }
                else
                {
                    _link.Receive(c, piece, bytes);
                    if (position < WorldSize - 1)
                    {
                        _link.Send(c, piece, bytes);
                    }
                }
            }

            if (position == 0)
            {
                _link.Receive(c, 0, 0);
            }
            else if (position == WorldSize - 1)
            {
                _link.Send(c, 0, 0);
            }

            _link.Finish(c);
        });
    }

    /// <inheritdoc />
    protected override void BarrierCore(in CollectiveCall call, CancellationToken cancellationToken)
    {
        if (_link is null)
        {
            return;
        }

        // n−1 ring steps of empty frames: after them every rank has heard, through its predecessors, from all ranks.
        var c = call;
        Guard(c, cancellationToken, () =>
        {
            _link.Begin(0);
            ReduceScatterPhase(c, null, 0, 4, shift: 0, continueToAllGather: false);
            _link.Finish(c);
        });
    }

    private void ReduceScatterPhase(in CollectiveCall call, byte* data, long count, int size, int shift, bool continueToAllGather)
    {
        var n = WorldSize;
        var pieceElements = _pieceBytes / size;
        SendChunk(call, data, count, size, Mod(Rank + shift), pieceElements);
        fixed (byte* scratch = _scratch)
        {
            for (var step = 0; step < n - 1; step++)
            {
                var (start, length) = Chunk(count, Mod(Rank - step - 1 + shift));
                var last = step == n - 2;
                var pieces = PieceCount(length, pieceElements);
                for (long k = 0; k < pieces; k++)
                {
                    var offset = k * pieceElements;
                    var elements = Math.Min(pieceElements, length - offset);
                    var bytes = (int)(elements * size);
                    var target = data + ((start + offset) * size);
                    _link!.ReceiveReduce(call, (nint)target, bytes, (nint)scratch);
                    if (elements > 0)
                    {
                        if (last && call.Op == ReduceOp.Average)
                        {
                            ReductionKernels.Divide((nint)target, elements, call.DataType, n);
                        }
                    }

                    if (!last || continueToAllGather)
                    {
                        // The piece just reduced is the one to pass on: it leaves while the next one arrives.
                        _link.Send(call, (nint)target, bytes);
                    }
                }
            }
        }
    }

    private void AllGatherPhase(in CollectiveCall call, byte* data, long count, int size, int owned, bool alreadySent)
    {
        var n = WorldSize;
        var pieceElements = _pieceBytes / size;
        if (!alreadySent)
        {
            SendChunk(call, data, count, size, owned, pieceElements);
        }

        for (var step = 0; step < n - 1; step++)
        {
            var (start, length) = Chunk(count, Mod(owned - 1 - step));
            var pieces = PieceCount(length, pieceElements);
            for (long k = 0; k < pieces; k++)
            {
                var offset = k * pieceElements;
                var bytes = (int)(Math.Min(pieceElements, length - offset) * size);
                var target = (nint)(data + ((start + offset) * size));
                _link!.Receive(call, target, bytes);
                if (step < n - 2)
                {
                    _link.Send(call, target, bytes);
                }
            }
        }
    }

    private void SendChunk(in CollectiveCall call, byte* data, long count, int size, int chunk, int pieceElements)
    {
        var (start, length) = Chunk(count, chunk);
        var pieces = PieceCount(length, pieceElements);
        for (long k = 0; k < pieces; k++)
        {
            var offset = k * pieceElements;
            var bytes = (int)(Math.Min(pieceElements, length - offset) * size);
            _link!.Send(call, (nint)(data + ((start + offset) * size)), bytes);
        }
    }

    private void Guard(CollectiveCall call, CancellationToken cancellationToken, Action body)
    {
        // Cancelling shuts the ring's sockets: the blocked receive returns at once and the peers see this rank leave.
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(static s => ((TcpRingCommunicator)s!).CancelRing(), this) : default;
        try
        {
            body();
        }
        catch (CollectiveException ex) when (cancellationToken.IsCancellationRequested)
        {
            MarkAborted(new CollectiveException($"Rank {Rank} cancelled collective {call}; the communicator is aborted.", Rank, null, call, ex));
            throw new OperationCanceledException($"Rank {Rank} cancelled collective {call}; the communicator is aborted.", ex, cancellationToken);
        }
    }

    private void CancelRing() => _link?.Cancel();

    private void EnsureWork(long bytes)
    {
        if (_workBytes >= bytes)
        {
            return;
        }

        // Native memory: a reduce-scatter input may exceed the 2 GB limit of a managed array.
        var grown = Math.Max(bytes, _workBytes * 2);
        System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)_work);
        _work = 0;
        _workBytes = 0;
        _work = (nint)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)grown, 64);
        _workBytes = grown;
    }

    private (long Start, long Length) Chunk(long count, int chunk)
    {
        var start = (long)((Int128)count * chunk / WorldSize);
        var end = (long)((Int128)count * (chunk + 1) / WorldSize);
        return (start, end - start);
    }

    private static long PieceCount(long elements, int pieceElements) => Math.Max(1, (elements + pieceElements - 1) / pieceElements);

    private int Mod(int value) => ((value % WorldSize) + WorldSize) % WorldSize;
}
