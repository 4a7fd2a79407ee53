using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Apache.Arrow;

namespace Mlops.Features;

/// <summary>
/// Runs a frame's partitions on worker threads. Partitions start in order, each on the next free
/// worker, so memory stays bounded by the degree of parallelism, not by the size of the frame.
/// </summary>
internal static class FrameExecution
{
    /// <summary>
    /// Runs <paramref name="work"/> on every partition with up to <paramref name="degree"/> running at once
    /// and returns the results in partition order. The first failure cancels the rest and is rethrown.
    /// </summary>
    public static T[] RunPartitions<T>(Frame frame, Func<int, IEnumerable<RecordBatch>, CancellationToken, T> work, int degree, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(work);
        var partitions = frame.Partitions;
        var results = new T[partitions.Count];
        if (partitions.Count == 0)
        {
            return results;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var next = -1;
        Exception? failure = null;
        void Worker()
        {
            while (!cts.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= partitions.Count)
                {
                    return;
                }

                try
                {
                    results[i] = work(i, partitions[i](cts.Token), cts.Token);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                    cts.Cancel();
                    return;
                }
            }
        }

        var workers = Math.Min(Math.Max(1, degree), partitions.Count);
        if (workers == 1)
        {
            Worker();
        }
        else
        {
            var threads = new Task[workers - 1];
            for (var w = 0; w < threads.Length; w++)
            {
                threads[w] = Task.Factory.StartNew(Worker, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            Worker();
            Task.WaitAll(threads);
        }

        if (failure is not null)
        {
            if (failure is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return results;
    }

    /// <summary>Streams all batches in partition order while up to <paramref name="degree"/> partitions are read ahead.</summary>
    internal static IEnumerable<RecordBatch> ReadOrdered(Frame frame, int degree, CancellationToken cancellationToken)
    {
        var partitions = frame.Partitions;
        if (degree <= 1 || partitions.Count <= 1)
        {
            foreach (var partition in partitions)
            {
                foreach (var batch in partition(cancellationToken))
                {
                    yield return batch;
                }
            }

            yield break;
        }

        using var reader = new OrderedReader(partitions, degree, cancellationToken);
        foreach (var batch in reader.Read())
        {
            yield return batch;
        }
    }

    internal static async IAsyncEnumerable<RecordBatch> ReadOrderedAsync(Frame frame, int degree, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new OrderedReader(frame.Partitions, Math.Max(1, degree), cancellationToken);
        await foreach (var batch in reader.ReadAsync().ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>One bounded channel per partition; workers fill them in order, the consumer drains them in order.</summary>
    private sealed class OrderedReader : IDisposable
    {
        private readonly IReadOnlyList<FramePartition> _partitions;
        private readonly Channel<RecordBatch>[] _channels;
        private readonly CancellationTokenSource _cts;
        private readonly Task[] _workers;
        private int _next = -1;

        public OrderedReader(IReadOnlyList<FramePartition> partitions, int degree, CancellationToken cancellationToken)
        {
            _partitions = partitions;
            _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _channels = new Channel<RecordBatch>[partitions.Count];
            for (var i = 0; i < _channels.Length; i++)
            {
                _channels[i] = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
            }

            _workers = new Task[Math.Min(degree, partitions.Count)];
            for (var w = 0; w < _workers.Length; w++)
            {
                _workers[w] = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }

        public IEnumerable<RecordBatch> Read()
        {
            foreach (var channel in _channels)
            {
                while (true)
                {
                    var more = channel.Reader.WaitToReadAsync(_cts.Token).AsTask().GetAwaiter().GetResult();
                    if (!more)
                    {
                        break;
                    }

                    while (channel.Reader.TryRead(out var batch))
                    {
                        yield return batch;
                    }
                }
            }
        }

        public async IAsyncEnumerable<RecordBatch> ReadAsync()
        {
            foreach (var channel in _channels)
            {
                await foreach (var batch in channel.Reader.ReadAllAsync(_cts.Token).ConfigureAwait(false))
                {
                    yield return batch;
                }
            }
        }

        public void Dispose()
        {
            _cts.Cancel();
            try
            {
                Task.WaitAll(_workers);
            }
            catch (AggregateException)
            {
                // Failures were already delivered to the consumer through the channels.
            }

            _cts.Dispose();
        }

        private void Work()
        {
            while (!_cts.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref _next);
                if (i >= _partitions.Count)
                {
                    return;
                }

                var writer = _channels[i].Writer;
                try
                {
                    foreach (var batch in _partitions[i](_cts.Token))
                    {
                        writer.WriteAsync(batch, _cts.Token).AsTask().GetAwaiter().GetResult();
                    }

                    writer.TryComplete();
                }
                catch (Exception e)
                {
                    // The consumer rethrows this when it reaches partition i.
                    writer.TryComplete(e);
                    if (e is OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }
    }
}
