using System.Buffers.Binary;
using System.Net.Sockets;
using System.Numerics;
using System.Text;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// Choosing shared memory for a ring connection: the receiving rank creates a pipe in <c>/dev/shm</c> and offers its path
/// and a random cookie over TCP; the sending rank maps it if it can (same host, same <c>/dev/shm</c>) and answers; the
/// file is removed as soon as both have mapped it. Anything else keeps the connection on TCP.
/// </summary>
public sealed partial class TcpRingCommunicator
{
    private const int MaxPipePathBytes = 256;

    // 4 MiB per ring link (n per host), reserved up front: collectives up to 512 KiB then send inline (see RingLink.Begin),
    // and eight ranks fit Docker's default 64 MB /dev/shm with room to spare.
    private const long PipeBytes = 4 << 20;

    private static (SharedMemoryPipe? Outgoing, SharedMemoryPipe? Incoming) NegotiateSharedMemory(
        Socket toNext, Socket fromPrevious, bool ours, bool previousWants, CollectiveOptions options, int rank, int next, int previous)
    {
        SharedMemoryPipe? offered = null;
        SharedMemoryPipe? outgoing = null;
        try
        {
            // 1. The previous rank asked for a pipe in its hello: offer one, or say no (it waits for the answer).
            if (previousWants)
            {
                var cookie = new byte[16];
                if (ours)
                {
                    var capacity = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(PipeBytes, 4L * (RingFrameHeader.Size + options.PieceBytes)));
                    offered = SharedMemoryPipe.TryCreate(capacity, fromPrevious, out cookie);
                }

                var path = offered is null ? [] : Encoding.UTF8.GetBytes(offered.Path);
                var offer = new byte[1 + cookie.Length + 4 + path.Length];
                offer[0] = offered is null ? (byte)0 : (byte)1;
                cookie.CopyTo(offer, 1);
                BinaryPrimitives.WriteInt32LittleEndian(offer.AsSpan(1 + cookie.Length), path.Length);
                path.CopyTo(offer, 1 + cookie.Length + 4);
                fromPrevious.Send(offer);
            }

            // 2. We asked the next rank for a pipe: take its answer and, for an offer, say whether we could map it.
            if (ours)
            {
                Span<byte> head = stackalloc byte[1 + 16 + 4];
                ReceiveExactly(toNext, head, rank, next);
                var length = BinaryPrimitives.ReadInt32LittleEndian(head[17..]);
                if (length is < 0 or > MaxPipePathBytes)
                {
                    throw new CollectiveException($"Rank {rank} received a malformed shared memory offer from rank {next} while joining.", rank, next, null);
                }

                var path = new byte[length];
                ReceiveExactly(toNext, path, rank, next);
                if (head[0] == 1)
                {
                    outgoing = SharedMemoryPipe.TryOpen(Encoding.UTF8.GetString(path), head[1..17], toNext);
                    toNext.Send([outgoing is null ? (byte)0 : (byte)1]);
                }
            }

            // 3. Learn whether the previous rank mapped our pipe; either way the file has done its job.
            SharedMemoryPipe? incoming = null;
            if (offered is not null)
            {
                Span<byte> answer = stackalloc byte[1];
                ReceiveExactly(fromPrevious, answer, rank, previous);
                offered.Unlink();
                if (answer[0] == 1)
                {
                    incoming = offered;
                    offered = null;
                }
            }

            offered?.Dispose();
            return (outgoing, incoming);
        }
        catch
        {
            if (offered is not null)
            {
                offered.Unlink();
                offered.Dispose();
            }

            outgoing?.Dispose();
            throw;
        }
    }

    private static void ReceiveExactly(Socket socket, Span<byte> buffer, int rank, int peer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var got = socket.Receive(buffer[read..]);
            if (got == 0)
            {
                throw new CollectivePeerLostException($"Rank {peer} closed its ring connection to rank {rank} while joining.", rank, peer, null);
            }

            read += got;
        }
    }
}
