using System.Net;
using System.Net.Sockets;
using Mlops.Training.Distributed.Collectives;

namespace Mlops.Training.Distributed.Tests.Collectives;

/// <summary>The same-host pipe under the ring: bytes in order across wrap-arounds, timeouts, a peer that leaves, and what it refuses to open.</summary>
public sealed class SharedMemoryPipeTests : IDisposable
{
    private readonly Socket _writerSide;
    private readonly Socket _readerSide;

    public SharedMemoryPipeTests()
    {
        Assert.True(SharedMemoryPipe.IsSupported, "shared memory pipes need Linux with /dev/shm");

        // The pipe watches a TCP connection to its peer for liveness, as in the ring.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        _writerSide = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _writerSide.Connect(listener.LocalEndPoint!);
        _readerSide = listener.Accept();
    }

    public void Dispose()
    {
        _writerSide.Dispose();
        _readerSide.Dispose();
    }

    private (SharedMemoryPipe Writer, SharedMemoryPipe Reader) Pair(long capacity, int timeoutMs = 5000)
    {
        var reader = SharedMemoryPipe.TryCreate(capacity, _readerSide, out var cookie)!;
        Assert.NotNull(reader);
        var writer = SharedMemoryPipe.TryOpen(reader.Path, cookie, _writerSide)!;
        Assert.NotNull(writer);
        reader.Unlink();
        Assert.False(File.Exists(reader.Path));
        (writer.Timeout, reader.Timeout) = (timeoutMs, timeoutMs);
        return (writer, reader);
    }

    [Fact]
    public void BytesArriveInOrderAcrossManyWrapArounds()
    {
        var (writer, reader) = Pair(capacity: 4096);
        using (writer)
        using (reader)
        {
            var data = new byte[1_000_003];
            new Random(7).NextBytes(data);
            var sender = new Thread(() =>
            {
                var random = new Random(11);
                for (var offset = 0; offset < data.Length;)
                {
                    var n = Math.Min(random.Next(1, 10_000), data.Length - offset);
                    writer.Write(data.AsSpan(offset, n));
                    offset += n;
                }

                writer.Close();
            }) { IsBackground = true };
            sender.Start();

            // One spare byte: the last read asks for more than was sent and must get the end of the stream.
            var received = new byte[data.Length + 1];
            var chunks = new Random(13);
            var total = 0;
            int got;
            while ((got = reader.Read(received.AsSpan(total, Math.Min(chunks.Next(1, 7000), received.Length - total)))) > 0)
            {
                total += got;
            }

            Assert.True(sender.Join(TimeSpan.FromSeconds(30)), "the writer did not finish");
            Assert.Equal(data.Length, total);
            Assert.True(data.AsSpan().SequenceEqual(received.AsSpan(0, data.Length)), "the bytes differ");
        }
    }

    [Fact]
    public void AReaderThatStopsReadingMakesTheWriterTimeOut()
    {
        var (writer, reader) = Pair(capacity: 4096, timeoutMs: 300);
        using (writer)
        using (reader)
        {
            var ex = Assert.Throws<SocketException>(() => writer.Write(new byte[10_000]));
            Assert.Equal(SocketError.TimedOut, ex.SocketErrorCode);

            // The reader gets what fitted, then times out waiting for more.
            Assert.Equal(4096, reader.Read(new byte[10_000]));
            Assert.Equal(SocketError.TimedOut, Assert.Throws<SocketException>(() => reader.Read(new byte[10_000])).SocketErrorCode);
        }
    }

    [Fact]
    public void AWriterWhoseConnectionDropsEndsTheStreamAfterItsBytes()
    {
        var (writer, reader) = Pair(capacity: 4096, timeoutMs: 60_000);
        using (writer)
        using (reader)
        {
            writer.Write(new byte[100]);

            // A process that dies leaves its pipe flags as they were; only its TCP connection closes.
            _writerSide.Close();
            Assert.Equal(100, reader.Read(new byte[4096]));
            Assert.Equal(0, reader.Read(new byte[4096]));
        }
    }

    [Fact]
    public void AReaderWhoseConnectionDropsFailsTheWriterInsteadOfAWait()
    {
        var (writer, reader) = Pair(capacity: 4096, timeoutMs: 60_000);
        using (writer)
        using (reader)
        {
            _readerSide.Close();
            Assert.Equal(SocketError.ConnectionReset, Assert.Throws<SocketException>(() => writer.Write(new byte[10_000])).SocketErrorCode);
        }
    }

    [Fact]
    public void CloseWakesABlockedReaderOnTheSameSide()
    {
        var (writer, reader) = Pair(capacity: 4096, timeoutMs: 60_000);
        using (writer)
        using (reader)
        {
            var read = -1;
            var blocked = new Thread(() => read = reader.Read(new byte[16])) { IsBackground = true };
            blocked.Start();
            Thread.Sleep(50);
            reader.Close();
            Assert.True(blocked.Join(TimeSpan.FromSeconds(10)), "the read did not return");
            Assert.Equal(0, read);
            Assert.Equal(SocketError.ConnectionReset, Assert.Throws<SocketException>(() => writer.Write(new byte[1])).SocketErrorCode);
        }
    }

    [Fact]
    public void OnlyOurOwnPipeFilesWithTheRightCookieAreOpened()
    {
        var reader = SharedMemoryPipe.TryCreate(4096, _readerSide, out var cookie)!;
        using (reader)
        {
            var wrong = (byte[])cookie.Clone();
            wrong[0] ^= 1;
            Assert.Null(SharedMemoryPipe.TryOpen(reader.Path, wrong, _writerSide));
            Assert.Null(SharedMemoryPipe.TryOpen("/etc/passwd", cookie, _writerSide));
            Assert.Null(SharedMemoryPipe.TryOpen(reader.Path + "/../../etc/passwd", cookie, _writerSide));
            reader.Unlink();
            Assert.Null(SharedMemoryPipe.TryOpen(reader.Path, cookie, _writerSide));
        }
    }
}
