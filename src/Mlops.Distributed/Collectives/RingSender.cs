using System.Net.Sockets;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// The thread that sends pieces to the next rank while the calling thread receives and reduces, so sends overlap
/// receives and reductions (and two ranks sending large pieces to each other can never block each other). The queue
/// holds pointers into the caller's pinned memory; the caller waits for it to drain before returning.
/// </summary>
internal sealed unsafe class RingSender : IDisposable
{
    private readonly Socket _socket;
    private readonly SharedMemoryPipe? _pipe;
    private readonly Thread _thread;
    private readonly object _lock = new();
    private readonly Queue<Item> _queue = new();
    private readonly byte[] _header = new byte[RingFrameHeader.Size];
    private long _enqueued;
    private long _completed;
    private Exception? _error;
    private bool _stopping;

    public RingSender(Socket socket, SharedMemoryPipe? pipe, int rank)
    {
        _socket = socket;
        _pipe = pipe;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"mlops-ring-send-{rank}" };
        _thread.Start();
    }

    public Exception? Error
    {
        get
        {
            lock (_lock)
            {
                return _error;
            }
        }
    }

    public void Enqueue(in RingFrameHeader header, nint payload)
    {
        lock (_lock)
        {
            _queue.Enqueue(new Item(header, payload));
            _enqueued++;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits until everything queued was handed to the socket; false on timeout; throws the send error if any.</summary>
    public bool WaitDrained(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_completed < _enqueued && _error is null)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue)))
                {
                    return _completed >= _enqueued;
                }
            }

            return _error is null ? true : throw new IOException(_error.Message, _error);
        }
    }

    /// <summary>Drops queued pieces (after a failure, before queuing the abort frame).</summary>
    public void ClearPending()
    {
        lock (_lock)
        {
            _enqueued -= _queue.Count;
            _queue.Clear();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.PulseAll(_lock);
        }

        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Loop()
    {
        while (true)
        {
            Item item;
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_lock);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                item = _queue.Dequeue();
            }

            try
            {
                item.Header.Write(_header);
                SendAll(_header);
                if (item.Header.PayloadBytes > 0)
                {
                    SendAll(new ReadOnlySpan<byte>((void*)item.Payload, item.Header.PayloadBytes));
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
            {
                lock (_lock)
                {
                    _error = ex;
                    _queue.Clear();
                    Monitor.PulseAll(_lock);
                }

                return;
            }

            lock (_lock)
            {
                _completed++;
                Monitor.PulseAll(_lock);
            }
        }
    }

    private void SendAll(ReadOnlySpan<byte> data)
    {
        if (_pipe is not null)
        {
            _pipe.Write(data);
            return;
        }

        while (data.Length > 0)
        {
            var sent = _socket.Send(data);
            data = data[sent..];
        }
    }

    private readonly record struct Item(RingFrameHeader Header, nint Payload);
}
