using System.Threading.Channels;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Logging;

/// <summary>
/// Logs metrics, params and tags from a hot loop without waiting for the store: calls put entries on a bounded queue
/// and return; a background task sends them in batches within MLflow's limits (1000 metrics, 100 params, 100 tags).
/// <see cref="FlushAsync"/> waits until everything logged before it is stored. A failed send is not swallowed: the
/// next log call, flush or dispose throws it. When the queue is full, a log call waits (back-pressure) rather than
/// dropping data.
/// </summary>
public sealed class AsyncTrackingLogger : IAsyncDisposable, IDisposable
{
    private readonly ITrackingStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly Channel<Entry> _channel;
    private readonly Task _worker;
    private readonly TimeSpan _flushInterval;
    private volatile Exception? _failure;
    private int _disposed;

    /// <summary>Creates a logger over a store and starts its background sender.</summary>
    /// <param name="store">Where batches go.</param>
    /// <param name="capacity">Entries the queue holds before log calls wait.</param>
    /// <param name="flushInterval">How long the sender waits for more entries to fill a batch.</param>
    /// <param name="timeProvider">The clock for metric timestamps.</param>
    public AsyncTrackingLogger(ITrackingStore store, int capacity = 100_000, TimeSpan? flushInterval = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _store = store;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _flushInterval = flushInterval ?? TimeSpan.FromMilliseconds(200);
        _channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _worker = Task.Run(RunAsync);
    }

    /// <summary>The first failure of a background send, if any.</summary>
    public Exception? Failure => _failure;

    /// <summary>Queues one metric value (timestamp now if null, step 0 if null).</summary>
    public void LogMetric(string runId, string key, double value, long? step = null, long? timestamp = null) =>
        Enqueue(new Entry(runId, Metric: new RunMetric(key, value, timestamp ?? _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), step ?? 0)));

    /// <summary>Queues a param (checked for immutability when it is sent).</summary>
    public void LogParam(string runId, string key, object? value) =>
        Enqueue(new Entry(runId, Param: new Param(key, TrackingClient.FormatParam(value))));

    /// <summary>Queues a tag.</summary>
    public void SetTag(string runId, string key, string value) => Enqueue(new Entry(runId, Tag: new RunTag(key, value)));

    /// <summary>Waits until every entry queued before this call is stored; throws the first send failure.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Volatile.Read(ref _disposed) != 0)
        {
            await _worker.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _channel.Writer.WriteAsync(new Entry(null, Flushed: done), cancellationToken).ConfigureAwait(false);
            await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        ThrowIfFailed();
    }

    /// <summary>Waits until everything queued is stored; see <see cref="FlushAsync"/>.</summary>
    public void Flush() => FlushAsync().GetAwaiter().GetResult();

    /// <summary>Sends what is queued, stops the sender, and throws the first send failure, if any.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.Writer.TryComplete();
        }

        await _worker.ConfigureAwait(false);
        ThrowIfFailed();
    }

    /// <summary>Sends what is queued and stops; see <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void Enqueue(Entry entry)
    {
        ThrowIfFailed();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_channel.Writer.TryWrite(entry))
        {
            // The queue is full: wait for room (back-pressure) rather than drop acknowledged data.
            _channel.Writer.WriteAsync(entry).AsTask().GetAwaiter().GetResult();
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new MlopsException($"Asynchronous tracking failed; entries logged after the failure were not stored: {failure.Message}", failure);
        }
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        var pending = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var flushes = new List<TaskCompletionSource>();
        var count = 0;
        while (true)
        {
            bool more;
            try
            {
                more = await reader.WaitToReadAsync().ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                more = false;
            }

            if (more)
            {
                // Gather what is there, then give stragglers one interval to fill the batch, unless one is full or a flush waits.
                var deadline = _timeProvider.GetUtcNow() + _flushInterval;
                while (true)
                {
                    while (reader.TryRead(out var entry))
                    {
                        if (entry.Flushed is { } flushed)
                        {
                            flushes.Add(flushed);
                            continue;
                        }

                        if (!pending.TryGetValue(entry.RunId!, out var run))
                        {
                            pending[entry.RunId!] = run = new Pending();
                        }

                        run.Add(entry);
                        count++;
                    }

                    if (flushes.Count > 0 || count >= TrackingLimits.MaxMetricsPerBatch || _timeProvider.GetUtcNow() >= deadline || reader.Completion.IsCompleted)
                    {
                        break;
                    }

                    using var wait = new CancellationTokenSource(_flushInterval / 4, _timeProvider);
                    try
                    {
                        await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }

            await SendAsync(pending).ConfigureAwait(false);
            count = 0;
            foreach (var flushed in flushes)
            {
                flushed.TrySetResult();
            }

            flushes.Clear();
            if (!more)
            {
                return;
            }
        }
    }

    private async Task SendAsync(Dictionary<string, Pending> pending)
    {
        foreach (var (runId, run) in pending)
        {
            if (_failure is null && run.Count > 0)
            {
                try
                {
                    foreach (var (metrics, parameters, tags) in BatchSplitter.Split(run.Metrics, run.Params, run.Tags))
                    {
                        await _store.LogBatchAsync(runId, metrics, parameters, tags).ConfigureAwait(false);
                    }
                }
                catch (Exception e)
                {
                    _failure = e;
                }
            }
        }

        pending.Clear();
    }

    private sealed record Entry(string? RunId, RunMetric? Metric = null, Param? Param = null, RunTag? Tag = null, TaskCompletionSource? Flushed = null);

    private sealed class Pending
    {
        public List<RunMetric> Metrics { get; } = [];

        public List<Param> Params { get; } = [];

        public List<RunTag> Tags { get; } = [];

        public int Count => Metrics.Count + Params.Count + Tags.Count;

        public void Add(Entry entry)
        {
            if (entry.Metric is { } metric)
            {
                Metrics.Add(metric);
            }
            else if (entry.Param is { } param)
            {
                Params.Add(param);
            }
            else if (entry.Tag is { } tag)
            {
                Tags.Add(tag);
            }
        }
    }
}
