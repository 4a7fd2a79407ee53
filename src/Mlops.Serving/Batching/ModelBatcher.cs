using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mlops.Serving.Inference;
using Mlops.Serving.Models;
using Mlops.Serving.Observability;

namespace Mlops.Serving.Batching;

/// <summary>
/// Adaptive batching for one loaded version: validated requests wait in a bounded queue; each worker takes the first,
/// adds whatever else arrives until the batch holds <c>MaxBatchSize</c> rows or <c>MaxBatchTime</c> has passed since
/// the first, runs one forward pass over the rows stacked in arrival order and gives each request back its own row
/// range. A request never shares rows with another; if a merged pass fails, each request runs again alone so only the
/// one at fault fails. Disposing stops taking requests and answers every queued one before the workers end.
/// </summary>
internal sealed class ModelBatcher : IAsyncDisposable
{
    private readonly LoadedVersion _version;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxBatchTime;
    private readonly TimeProvider _timeProvider;
    private readonly ServingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<WorkItem> _queue;
    private readonly Task[] _workers;

    public ModelBatcher(LoadedVersion version, ServedModelOptions options, TimeProvider timeProvider, ServingMetrics metrics, ILogger logger)
    {
        _version = version;

        // Without a signature requests may differ in their inputs, so they cannot be stacked.
        _maxBatchSize = version.Schema.Inputs is null ? 1 : options.MaxBatchSize;
        _maxBatchTime = options.MaxBatchTime;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        var workers = version.IsThreadSafe ? options.Workers : 1;
        if (workers < options.Workers)
        {
            logger.LogWarning("Model {Model}: the {Flavor} flavor is not thread-safe, so it runs 1 forward pass at a time instead of the {Workers} workers configured.", version.Name, version.Model.Flavor, options.Workers);
        }

        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(options.MaxQueueLength)
        {
            SingleReader = workers == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(RunAsync);
        }
    }

    /// <summary>Queues a validated request; completes with its own output columns.</summary>
    /// <exception cref="InferenceException">Unavailable when the queue is full or the batcher is stopping.</exception>
    public async Task<IReadOnlyDictionary<string, Array>> PredictAsync(ValidatedRequest request, CancellationToken cancellationToken)
    {
        var item = new WorkItem(request);
        if (!_queue.Writer.TryWrite(item))
        {
            throw InferenceException.Unavailable(
                $"model '{_version.Name}' is overloaded: {_queue.Reader.Count} requests are waiting (MaxQueueLength); try again shortly.");
        }

        _metrics.QueueChanged(_version.Name, 1);
        using var registration = cancellationToken.Register(static state => ((WorkItem)state!).Completion.TrySetCanceled(), item);
        return await item.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Stops taking requests, answers the queued ones, and waits for the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        WorkItem? carried = null;
        var batch = new List<WorkItem>();
        while (true)
        {
            if (carried is null)
            {
                if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    return;
                }

                if (!TryTake(reader, out carried))
                {
                    continue;
                }
            }

            batch.Clear();
            batch.Add(carried);
            var rows = carried.Request.Rows;
            carried = null;
            if (rows < _maxBatchSize)
            {
                (rows, carried) = await FillAsync(reader, batch, rows).ConfigureAwait(false);
            }

            Execute(batch, rows);
        }
    }

    private async Task<(int Rows, WorkItem? Carried)> FillAsync(ChannelReader<WorkItem> reader, List<WorkItem> batch, int rows)
    {
        CancellationTokenSource? deadline = null;
        try
        {
            while (rows < _maxBatchSize)
            {
                if (TryTake(reader, out var next))
                {
                    if (rows + next.Request.Rows > _maxBatchSize)
                    {
                        return (rows, next);
                    }

                    batch.Add(next);
                    rows += next.Request.Rows;
                    continue;
                }

                if (_maxBatchTime <= TimeSpan.Zero)
                {
                    break;
                }

                deadline ??= new CancellationTokenSource(_maxBatchTime, _timeProvider);
                try
                {
                    if (!await reader.WaitToReadAsync(deadline.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    break;
                }
            }

            return (rows, null);
        }
        finally
        {
            deadline?.Dispose();
        }
    }

    // Takes the next request still wanted (a caller that gave up is skipped).
    private bool TryTake(ChannelReader<WorkItem> reader, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WorkItem? item)
    {
        while (reader.TryRead(out item))
        {
            _metrics.QueueChanged(_version.Name, -1);
            if (!item.Completion.Task.IsCompleted)
            {
                return true;
            }
        }

        return false;
    }

    private void Execute(List<WorkItem> batch, int rows)
    {
        if (batch.Count == 1)
        {
            var item = batch[0];
            if (Run(item.Request.Columns, rows, out var outputs, out var error))
            {
                item.Completion.TrySetResult(outputs);
            }
            else
            {
                item.Completion.TrySetException(error);
            }

            return;
        }

        if (!Run(Stack(batch, rows), rows, out var merged, out _))
        {
            // One pass failed for all: run each alone so the error reaches only the request that causes it.
            foreach (var item in batch)
            {
                Execute([item], item.Request.Rows);
            }

            return;
        }

        var offset = 0;
        foreach (var item in batch)
        {
            var own = new Dictionary<string, Array>(merged.Count, StringComparer.Ordinal);
            foreach (var (name, column) in merged)
            {
                var slice = Array.CreateInstance(column.GetType().GetElementType()!, item.Request.Rows);
                Array.Copy(column, offset, slice, 0, item.Request.Rows);
                own[name] = slice;
            }

            offset += item.Request.Rows;
            item.Completion.TrySetResult(own);
        }
    }

    private bool Run(IReadOnlyDictionary<string, Array> columns, int rows, out IReadOnlyDictionary<string, Array> outputs, out Exception error)
    {
        try
        {
            outputs = _version.Predictor.Predict(columns);
            foreach (var (name, column) in outputs)
            {
                if (column.Length != rows)
                {
                    throw new InferenceException(InferenceErrorKind.ModelFailed,
                        $"model '{_version.Name}' gave {column.Length} rows of output '{name}' for {rows} input rows.");
                }
            }

            _metrics.BatchExecuted(_version.Name, _version.Version, rows);
            error = null!;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The predictor's ArgumentException is its check of the request's values (a model without a signature, or a
            // check the signature cannot express); anything else is the model's fault.
            error = e switch
            {
                InferenceException => e,
                ArgumentException => new InferenceException(InferenceErrorKind.InvalidRequest, $"model '{_version.Name}' refused the request: {e.Message}", innerException: e),
                _ => new InferenceException(InferenceErrorKind.ModelFailed, $"model '{_version.Name}' (version {_version.Version ?? "-"}) failed: {e.Message}", innerException: e),
            };
            if (error is InferenceException { Kind: InferenceErrorKind.ModelFailed })
            {
                _logger.LogError(e, "Model {Model} version {Version} failed a forward pass of {Rows} rows.", _version.Name, _version.Version, rows);
            }

            outputs = null!;
            return false;
        }
    }

    private static Dictionary<string, Array> Stack(List<WorkItem> batch, int rows)
    {
        var stacked = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var (name, first) in batch[0].Request.Columns)
        {
            var column = Array.CreateInstance(first.GetType().GetElementType()!, rows);
            var offset = 0;
            foreach (var item in batch)
            {
                var part = item.Request.Columns[name];
                Array.Copy(part, 0, column, offset, part.Length);
                offset += part.Length;
            }

            stacked[name] = column;
        }

        return stacked;
    }

    private sealed class WorkItem(ValidatedRequest request)
    {
        public ValidatedRequest Request { get; } = request;

        public TaskCompletionSource<IReadOnlyDictionary<string, Array>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
