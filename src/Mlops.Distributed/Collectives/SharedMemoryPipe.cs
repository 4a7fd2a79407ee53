using System.IO.MemoryMappedFiles;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// A one-way byte stream between two processes on one host through a file in <c>/dev/shm</c> (how MPICH and NCCL move
/// data between local ranks): a single-producer single-consumer ring buffer whose counters both processes map, with
/// futexes to sleep on when it is full or empty. It behaves like the TCP socket it stands in for: reads return 0 at
/// the end of the stream, a timeout or a lost peer throws a <see cref="SocketException"/>. The TCP connection stays open
/// beside it; a peer that dies closes that, which is how a waiting side learns of it.
/// </summary>
internal sealed unsafe partial class SharedMemoryPipe : IDisposable
{
    private const string Directory = "/dev/shm";
    private const int CookieBytes = 16;
    private const int HeaderBytes = 4096;
    private const long MaxCapacity = 1L << 30;

    // Header layout: cookie and capacity, then each side's counter and futex words on cache lines of their own.
    private const int CapacityOffset = 16;
    private const int WrittenOffset = 64;
    private const int ReadOffset = 128;
    private const int DataSequenceOffset = 192;
    private const int ConsumerWaitingOffset = 196;
    private const int SpaceSequenceOffset = 256;
    private const int ProducerWaitingOffset = 260;
    private const int ProducerClosedOffset = 320;
    private const int ConsumerClosedOffset = 324;

    // Publish at most this much at a time so the reader starts copying while the writer is still copying.
    private const int PublishStep = 64 << 10;

    // A sleeping side wakes this often to check its deadline and whether the peer's process is still there.
    private const int SliceMilliseconds = 20;
    private const int SpinRounds = 64;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _header;
    private readonly byte* _data;
    private readonly long _capacity;
    private readonly bool _producer;
    private readonly Socket _liveness;
    private volatile bool _closed;
    private int _busy;
    private int _disposing;
    private int _disposed;

    private SharedMemoryPipe(MemoryMappedFile file, MemoryMappedViewAccessor view, long capacity, bool producer, Socket liveness, string path)
    {
        _file = file;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _header = pointer + view.PointerOffset;
        _data = _header + HeaderBytes;
        _capacity = capacity;
        _producer = producer;
        _liveness = liveness;
        Path = path;
        Timeout = System.Threading.Timeout.Infinite;
    }

    /// <summary>The file backing the pipe (removed by the creator once both sides have mapped it).</summary>
    public string Path { get; }

    /// <summary>The bytes the pipe holds.</summary>
    public long Capacity => _capacity;

    /// <summary>How long a read or write waits without progress before it throws (milliseconds; like a socket's timeout).</summary>
    public int Timeout { get; set; }

    /// <summary>Whether shared memory pipes can be used here (Linux with futexes and a <c>/dev/shm</c>).</summary>
    public static bool IsSupported => Futex.IsSupported && System.IO.Directory.Exists(Directory);

    /// <summary>
    /// The reading side creates the pipe (readable and writable by this user only) and tells the writer its path and
    /// cookie; null where shared memory cannot be used.
    /// </summary>
    public static SharedMemoryPipe? TryCreate(long capacity, Socket liveness, out byte[] cookie)
    {
        cookie = RandomNumberGenerator.GetBytes(CookieBytes);
        if (!OperatingSystem.IsLinux() || !IsSupported || capacity <= 0 || capacity > MaxCapacity || (capacity & (capacity - 1)) != 0)
        {
            return null;
        }

        var path = $"{Directory}/mlops-ring-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
        FileStream? stream = null;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,

                // Reserve the pages now (fallocate): a full /dev/shm (Docker gives 64 MB) fails here, and the ring falls
                // back to TCP, instead of killing the process with SIGBUS when a page is first touched.
                PreallocationSize = HeaderBytes + capacity,
            });
            stream.SetLength(HeaderBytes + capacity);
            var file = MemoryMappedFile.CreateFromFile(stream, null, HeaderBytes + capacity, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            stream = null;
            var pipe = new SharedMemoryPipe(file, file.CreateViewAccessor(0, HeaderBytes + capacity), capacity, producer: false, liveness, path);
            cookie.CopyTo(new Span<byte>(pipe._header, CookieBytes));
            *(long*)(pipe._header + CapacityOffset) = capacity;
            return pipe;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stream?.Dispose();
            TryDelete(path);
            return null;
        }
    }

    /// <summary>
    /// The writing side maps the pipe its peer created; null when the path is not one of ours, cannot be opened (another
    /// host or container) or does not hold the cookie the peer sent over TCP.
    /// </summary>
    public static SharedMemoryPipe? TryOpen(string path, ReadOnlySpan<byte> cookie, Socket liveness)
    {
        // The path comes from the network: only a plain file of the expected name in /dev/shm is ever opened.
        if (!IsSupported || cookie.Length != CookieBytes || !PipeName().IsMatch(path) || new FileInfo(path).LinkTarget is not null)
        {
            return null;
        }

        try
        {
            var length = new FileInfo(path).Length;
            var capacity = length - HeaderBytes;
            if (capacity <= 0 || capacity > MaxCapacity || (capacity & (capacity - 1)) != 0)
            {
                return null;
            }

            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, length, MemoryMappedFileAccess.ReadWrite);
            var pipe = new SharedMemoryPipe(file, file.CreateViewAccessor(0, length), capacity, producer: true, liveness, path);
            if (!new ReadOnlySpan<byte>(pipe._header, CookieBytes).SequenceEqual(cookie) || *(long*)(pipe._header + CapacityOffset) != capacity)
            {
                pipe.Dispose();
                return null;
            }

            return pipe;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes the backing file; the mappings stay valid, and nothing is left behind if a process dies later.</summary>
    public void Unlink() => TryDelete(Path);

    /// <summary>Writes all of <paramref name="data"/>, waiting for room.</summary>
    /// <exception cref="SocketException">TimedOut without room for <see cref="Timeout"/>; ConnectionReset when the reader left; Shutdown after <see cref="Close"/>.</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        Enter();
        try
        {
            var waiter = new Waiter(this);
            while (data.Length > 0)
            {
                var n = TryWrite(data);
                if (n > 0)
                {
                    data = data[n..];
                    waiter = new Waiter(this);
                    continue;
                }

                if (!waiter.Wait(forData: false, Volatile.Read(ref Counter(WrittenOffset))))
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Writes as much of <paramref name="data"/> as there is room for now, without waiting.</summary>
    /// <returns>The bytes written (0 when the pipe is full).</returns>
    /// <exception cref="SocketException">ConnectionReset when the reader left; Shutdown after <see cref="Close"/>.</exception>
    public int TryWrite(ReadOnlySpan<byte> data)
    {
        Enter();
        try
        {
            if (_closed)
            {
                throw new SocketException((int)SocketError.Shutdown);
            }

            if (Volatile.Read(ref Word(ConsumerClosedOffset)) != 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            var written = Volatile.Read(ref Counter(WrittenOffset));
            var total = 0;
            while (data.Length > 0)
            {
                var room = _capacity - (written - Volatile.Read(ref Counter(ReadOffset)));
                if (room <= 0)
                {
                    break;
                }

                var n = (int)Math.Min(Math.Min(room, data.Length), PublishStep);
                Copy(data[..n], written);
                written += n;
                Publish(ref Counter(WrittenOffset), written, ConsumerWaitingOffset, DataSequenceOffset);
                data = data[n..];
                total += n;
            }

            return total;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Whether a write would find room now.</summary>
    public bool HasRoom => _capacity - (Volatile.Read(ref Counter(WrittenOffset)) - Volatile.Read(ref Counter(ReadOffset))) > 0;

    /// <summary>A fresh wait (spin first, then sleep) for <see cref="WaitForData"/> and <see cref="WaitForRoom"/>; make a new one after progress.</summary>
    public Waiter NewWaiter() => new(this);

    /// <summary>Waits a little for bytes to read (reader side): returns true to look again, false when the writer is gone.</summary>
    /// <exception cref="SocketException">TimedOut when <paramref name="waiter"/> has waited <see cref="Timeout"/> in all.</exception>
    public bool WaitForData(ref Waiter waiter) => WaitFor(ref waiter, forData: true);

    /// <summary>Waits a little for room to write (writer side): returns true to look again, false when the reader is gone.</summary>
    /// <exception cref="SocketException">TimedOut when <paramref name="waiter"/> has waited <see cref="Timeout"/> in all.</exception>
    public bool WaitForRoom(ref Waiter waiter) => WaitFor(ref waiter, forData: false);

    /// <summary>Reads what is there (at least one byte, at most <paramref name="buffer"/>'s length), waiting for some.</summary>
    /// <returns>The bytes read; 0 at the end of the stream (the writer closed it, left, or this side was closed).</returns>
    /// <exception cref="SocketException">TimedOut when nothing arrived for <see cref="Timeout"/>.</exception>
    public int Read(Span<byte> buffer)
    {
        Enter();
        try
        {
            var read = Volatile.Read(ref Counter(ReadOffset));
            var waiter = new Waiter(this);
            while (true)
            {
                if (_closed)
                {
                    return 0;
                }

                var available = Volatile.Read(ref Counter(WrittenOffset)) - read;
                if (available > 0)
                {
                    var n = (int)Math.Min(available, buffer.Length);
                    CopyOut(buffer[..n], read);
                    Publish(ref Counter(ReadOffset), read + n, ProducerWaitingOffset, SpaceSequenceOffset);
                    return n;
                }

                if (Volatile.Read(ref Word(ProducerClosedOffset)) != 0)
                {
                    // The writer sets its flag after its last bytes: look once more before calling it the end.
                    if (Volatile.Read(ref Counter(WrittenOffset)) == read)
                    {
                        return 0;
                    }

                    continue;
                }

                if (!waiter.Wait(forData: true, read))
                {
                    return 0;
                }
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Consumes exactly <paramref name="length"/> bytes where they lie in the pipe, without copying them out first: the
    /// consumer sees each readable stretch (a whole number of <paramref name="unit"/>-byte elements; an element split by
    /// the end of the buffer is handed over from a small copy) and the space is released after it returns.
    /// </summary>
    /// <returns>The bytes consumed: <paramref name="length"/>, or fewer at the end of the stream.</returns>
    /// <exception cref="SocketException">TimedOut when nothing arrived for <see cref="Timeout"/>.</exception>
    public int ReadInPlace<TConsumer>(int length, int unit, ref TConsumer consumer)
        where TConsumer : struct, IPipeConsumer
    {
        Enter();
        try
        {
            var done = 0;
            var waiter = new Waiter(this);
            while (done < length)
            {
                var before = done;
                if (!TryReadInPlace(length, unit, ref consumer, ref done))
                {
                    return done;
                }

                if (done > before)
                {
                    waiter = new Waiter(this);
                }
                else if (!waiter.Wait(forData: true, Volatile.Read(ref Counter(ReadOffset))))
                {
                    return done;
                }
            }

            return done;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The part of <see cref="ReadInPlace"/> that is possible now: consumes what has arrived of the bytes from
    /// <paramref name="done"/> up to <paramref name="length"/>, moving <paramref name="done"/> on, without waiting.
    /// </summary>
    /// <returns>False at the end of the stream (the writer closed it with bytes still missing, or this side was closed).</returns>
    public bool TryReadInPlace<TConsumer>(int length, int unit, ref TConsumer consumer, ref int done)
        where TConsumer : struct, IPipeConsumer
    {
        Enter();
        try
        {
            if (_closed)
            {
                return false;
            }

            var read = Volatile.Read(ref Counter(ReadOffset));
            long* split = stackalloc long[1];
            while (done < length)
            {
                var producerClosed = Volatile.Read(ref Word(ProducerClosedOffset)) != 0;
                var available = Math.Min(Volatile.Read(ref Counter(WrittenOffset)) - read, length - done);
                if (available < unit)
                {
                    // The writer sets its flag after its last bytes, so bytes counted after seeing the flag are all there will be.
                    return !producerClosed;
                }

                var offset = read & (_capacity - 1);
                var take = (int)Math.Min(available, _capacity - offset);
                take -= take % unit;
                if (take > 0)
                {
                    consumer.Consume(_data + offset, take, done);
                }
                else
                {
                    take = unit;
                    CopyOut(new Span<byte>(split, unit), read);
                    consumer.Consume((byte*)split, unit, done);
                }

                read += take;
                done += take;
                Publish(ref Counter(ReadOffset), read, ProducerWaitingOffset, SpaceSequenceOffset);
            }

            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Ends this side: the peer's reads reach the end of the stream (or its writes fail) and this side's own blocked
    /// read or write returns at once, as a socket shutdown does.
    /// </summary>
    public void Close()
    {
        if (!TryEnter())
        {
            return;
        }

        try
        {
            _closed = true;
            Volatile.Write(ref Word(_producer ? ProducerClosedOffset : ConsumerClosedOffset), 1);
            Interlocked.MemoryBarrier();
            Wake(DataSequenceOffset);
            Wake(SpaceSequenceOffset);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Closes and unmaps; a mapping still in use by a thread that did not leave in time is left mapped rather than pulled from under it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            return;
        }

        Close();

        // From here no read or write starts; wait for those under way (Close has woken them) to leave.
        Interlocked.Exchange(ref _disposed, 1);
        var deadline = Environment.TickCount64 + 2000;
        while (Volatile.Read(ref _busy) > 0 && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(1);
        }

        if (Volatile.Read(ref _busy) > 0)
        {
            return;
        }

        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    [GeneratedRegex(@"^/dev/shm/mlops-ring-[0-9]{1,10}-[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex PipeName();

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Already gone, or /dev/shm is read-only; nothing to clean.
        }
    }

    private ref long Counter(int offset) => ref *(long*)(_header + offset);

    private ref int Word(int offset) => ref *(int*)(_header + offset);

    private void Enter()
    {
        if (!TryEnter())
        {
            throw new ObjectDisposedException(nameof(SharedMemoryPipe));
        }
    }

    // Paired with Dispose (flag first, then count): either Dispose sees this thread inside, or this thread sees the flag.
    private bool TryEnter()
    {
        Interlocked.Increment(ref _busy);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _busy);
            return false;
        }

        return true;
    }

    private void Exit() => Interlocked.Decrement(ref _busy);

    private void Wake(int sequenceOffset)
    {
        Interlocked.Increment(ref Word(sequenceOffset));
        Futex.WakeAll((int*)(_header + sequenceOffset));
    }

    // Moves a counter forward, then wakes the other side if it sleeps. The full fence between the counter store and the
    // flag load pairs with the sleeper's fence between setting the flag and rereading the counter: one of them sees the other.
    private void Publish(ref long counter, long value, int otherWaitingOffset, int otherSequenceOffset)
    {
        Volatile.Write(ref counter, value);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref Word(otherWaitingOffset)) != 0)
        {
            Wake(otherSequenceOffset);
        }
    }

    private void Copy(ReadOnlySpan<byte> source, long position)
    {
        var offset = position & (_capacity - 1);
        var first = (int)Math.Min(source.Length, _capacity - offset);
        source[..first].CopyTo(new Span<byte>(_data + offset, first));
        source[first..].CopyTo(new Span<byte>(_data, source.Length - first));
    }

    private void CopyOut(Span<byte> destination, long position)
    {
        var offset = position & (_capacity - 1);
        var first = (int)Math.Min(destination.Length, _capacity - offset);
        new ReadOnlySpan<byte>(_data + offset, first).CopyTo(destination);
        new ReadOnlySpan<byte>(_data, destination.Length - first).CopyTo(destination[first..]);
    }

    // Whether the side waiting at position should look again: data past it (reader), room after it (writer), or the other side closed.
    private bool Ready(bool forData, long position) => forData
        ? Volatile.Read(ref Counter(WrittenOffset)) != position || Volatile.Read(ref Word(ProducerClosedOffset)) != 0
        : _capacity - (position - Volatile.Read(ref Counter(ReadOffset))) > 0 || Volatile.Read(ref Word(ConsumerClosedOffset)) != 0;

    private bool PeerGone()
    {
        // No bytes travel on the TCP connection once the pipe is set up: readable means the peer closed it or died.
        try
        {
            return _liveness.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private bool WaitFor(ref Waiter waiter, bool forData)
    {
        Enter();
        try
        {
            return waiter.Wait(forData, Volatile.Read(ref Counter(forData ? ReadOffset : WrittenOffset)));
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>One wait for progress: spins briefly (the other side is usually about to move), then sleeps on the futex in slices.</summary>
    internal struct Waiter(SharedMemoryPipe pipe)
    {
        private readonly SharedMemoryPipe _pipe = pipe;
        private SpinWait _spin;
        private long _sleepingSince;

        /// <summary>Returns true to look again, false when the peer is gone; throws on timeout.</summary>
        public bool Wait(bool forData, long position)
        {
            if (_spin.Count < SpinRounds)
            {
                _spin.SpinOnce(sleep1Threshold: -1);
                return true;
            }

            var now = Environment.TickCount64;
            if (_sleepingSince == 0)
            {
                _sleepingSince = now;
            }
            else if (_pipe.Timeout >= 0 && now - _sleepingSince >= _pipe.Timeout)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }

            var word = (int*)(_pipe._header + (forData ? DataSequenceOffset : SpaceSequenceOffset));
            var waitingOffset = forData ? ConsumerWaitingOffset : ProducerWaitingOffset;
            var sequence = Volatile.Read(ref *word);
            Interlocked.Exchange(ref _pipe.Word(waitingOffset), 1);
            if (!_pipe.Ready(forData, position) && !_pipe._closed)
            {
                var slice = _pipe.Timeout >= 0 ? (int)Math.Clamp(_pipe.Timeout - (now - _sleepingSince), 1, SliceMilliseconds) : SliceMilliseconds;
                Futex.Wait(word, sequence, slice);
            }

            Volatile.Write(ref _pipe.Word(waitingOffset), 0);
            return _pipe.Ready(forData, position) || _pipe._closed || !_pipe.PeerGone();
        }
    }
}

/// <summary>What <see cref="SharedMemoryPipe.ReadInPlace"/> hands the bytes to, where they lie in the pipe.</summary>
internal unsafe interface IPipeConsumer
{
    /// <summary>Uses <paramref name="bytes"/> bytes at <paramref name="source"/>, which are the message's bytes from <paramref name="offset"/> on.</summary>
    void Consume(byte* source, int bytes, int offset);
}
