using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Mlops.Training.Data.Pipeline;

/// <summary>
/// <c>Prefetch(n)</c>: each enumeration runs the inner reader on its own background thread, which builds up to
/// <c>n</c> batches ahead into a bounded queue while the consumer trains on earlier ones.
/// </summary>
/// <remarks>
/// A failure in the producer reaches the consumer as the same exception (type, message, original stack) at the point
/// where the failed batch would have come. Cancelling the token or disposing the enumerator stops the producer, waits
/// for its thread to end and disposes the batches still queued, so no thread and no tensor outlives the enumeration.
/// </remarks>
internal sealed class PrefetchingBatches(Func<CancellationToken, IEnumerable<DataBatch>> produce, int capacity, CancellationToken cancellationToken) : IEnumerable<DataBatch>
{
    public IEnumerator<DataBatch> GetEnumerator() => new Enumerator(produce, capacity, cancellationToken);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal sealed class Enumerator : IEnumerator<DataBatch>
    {
        private readonly BlockingCollection<DataBatch> _queue;
        private readonly CancellationTokenSource _stop;
        private readonly CancellationToken _consumerToken;
        private readonly Func<CancellationToken, IEnumerable<DataBatch>> _produce;
        private Exception? _failure;
        private DataBatch? _current;
        private bool _disposed;

        public Enumerator(Func<CancellationToken, IEnumerable<DataBatch>> produce, int capacity, CancellationToken cancellationToken)
        {
            _produce = produce;
            _consumerToken = cancellationToken;
            _queue = new BlockingCollection<DataBatch>(new ConcurrentQueue<DataBatch>(), capacity);
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ProducerThread = new Thread(Produce) { IsBackground = true, Name = "Mlops dataset prefetch" };
            ProducerThread.Start();
        }

        /// <summary>The background thread (tests check that it has ended after disposal).</summary>
        internal Thread ProducerThread { get; }

        public DataBatch Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // The previous batch now belongs to the consumer.
            _current = null;
            if (_queue.TryTake(out var batch, Timeout.Infinite, _consumerToken))
            {
                _current = batch;
                return true;
            }

            if (_failure is not null)
            {
                ExceptionDispatchInfo.Throw(_failure);
            }

            _consumerToken.ThrowIfCancellationRequested();
            return false;
        }

        public void Reset() => throw new NotSupportedException("Read the dataset again to start over.");

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stop.Cancel();
            ProducerThread.Join();
            while (_queue.TryTake(out var left))
            {
                left.Dispose();
            }

            _queue.Dispose();
            _stop.Dispose();
        }

        private void Produce()
        {
            var token = _stop.Token;
            try
            {
                foreach (var batch in _produce(token))
                {
                    try
                    {
                        _queue.Add(batch, token);
                    }
                    catch
                    {
                        batch.Dispose();
                        throw;
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopped by the consumer: nothing to report.
            }
            catch (Exception e)
            {
                _failure = e;
            }
            finally
            {
                _queue.CompleteAdding();
            }
        }
    }
}
