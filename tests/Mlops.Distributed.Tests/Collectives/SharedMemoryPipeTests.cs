using System.Net;
using System.Net.Sockets;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Tests.Collectives;

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
    public unsafe void ReadInPlaceHandsOverWholeElementsEvenWhereOneStraddlesTheEnd()
    {
        var (writer, reader) = Pair(capacity: 4096);
        using (writer)
        using (reader)
        {
            // Four bytes first put every later 8-byte element off the grid, so some straddle the end of the 4 KiB buffer.
            var values = Enumerable.Range(0, 20_000).Select(i => ((long)i * 2_654_435_761L) ^ 0x5555_5555_5555).ToArray();
            var bytes = new byte[4 + (values.Length * 8)];
            Buffer.BlockCopy(values, 0, bytes, 4, values.Length * 8);
            var sender = new Thread(() =>
            {
                var random = new Random(5);
                for (var offset = 0; offset < bytes.Length;)
                {
                    // Odd write sizes: the reader also sees stretches that end inside an element.
                    var n = Math.Min(random.Next(1, 3000), bytes.Length - offset);
                    writer.Write(bytes.AsSpan(offset, n));
                    offset += n;
                }

                writer.Close();
            }) { IsBackground = true };
            sender.Start();

            var head = new byte[4];
            for (var got = 0; got < 4;)
            {
                got += reader.Read(head.AsSpan(got));
            }

            var received = new long[values.Length];
            fixed (long* target = received)
            {
                var consumer = new Collector((byte*)target) { Unit = 8 };
                Assert.Equal(values.Length * 8, reader.ReadInPlace(values.Length * 8, 8, ref consumer));
                Assert.True(consumer.Calls > 1);
                Assert.False(consumer.Torn, "a stretch that was not a whole number of elements was handed over");

                // The writer has closed: nothing more, and the end is reported rather than waited for.
                Assert.Equal(0, reader.ReadInPlace(8, 8, ref consumer));
            }

            Assert.True(sender.Join(TimeSpan.FromSeconds(30)), "the writer did not finish");
            Assert.Equal(values, received);
        }
    }

    [Fact]
    public unsafe void TheNonBlockingCallsNeverWait()
    {
        var (writer, reader) = Pair(capacity: 4096, timeoutMs: 60_000);
        using (writer)
        using (reader)
        {
            var data = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
            var started = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(4096, writer.TryWrite(data));
            Assert.Equal(0, writer.TryWrite(data.AsSpan(4096)));
            Assert.False(writer.HasRoom);

            var received = new byte[6000];
            fixed (byte* target = received)
            {
                var consumer = new Collector(target);
                var done = 0;
                Assert.True(reader.TryReadInPlace(6000, 1, ref consumer, ref done));
                Assert.Equal(4096, done);
                Assert.True(reader.TryReadInPlace(6000, 1, ref consumer, ref done));
                Assert.Equal(4096, done);
                Assert.True(writer.HasRoom);
                Assert.Equal(1000, writer.TryWrite(data.AsSpan(4096, 1000)));
                writer.Close();

                // 1000 more arrive, then the writer is gone with 904 still missing: the end of the stream.
                Assert.False(reader.TryReadInPlace(6000, 1, ref consumer, ref done));
                Assert.Equal(5096, done);
            }

            Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
            Assert.Equal(data.AsSpan(0, 5096).ToArray(), received.AsSpan(0, 5096).ToArray());
            Assert.Equal(SocketError.Shutdown, Assert.Throws<SocketException>(() => writer.TryWrite(data)).SocketErrorCode);
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

/// <summary>Copies what the pipe hands over to the right place, and notes any stretch that is not whole elements.</summary>
internal unsafe struct Collector(byte* target) : IPipeConsumer
{
    public int Calls;
    public bool Torn;
    public int Unit;

    public void Consume(byte* source, int bytes, int offset)
    {
        Calls++;
        Torn |= Unit > 1 && (bytes % Unit != 0 || offset % Unit != 0);
        Buffer.MemoryCopy(source, target + offset, bytes, bytes);
    }
}
