using Mlops.Training.Data;

namespace Mlops.Training;

/// <summary>
/// This replica's batches of a dataset from a start position, remembering where the next batch is (the position a
/// backup saves and a restart resumes from). With a <see cref="PassLimit"/> the stream stops before the first batch
/// of that pass and keeps it for when the limit is raised (the next epoch), so one stream runs through all epochs.
/// </summary>
internal sealed class BatchStream : IDisposable
{
    private readonly IEnumerator<DataBatch> _batches;
    private readonly long? _batchesPerPass;
    private DataBatch? _pending;
    private bool _exhausted;

    public BatchStream(Dataset dataset, DataReadContext context, DatasetPosition start, long? passLimit, CancellationToken cancellationToken)
    {
        _batchesPerPass = dataset.BatchesPerPass(context.NumReplicas);
        Next = start;
        PassLimit = passLimit;
        _batches = dataset.Read(context, start, cancellationToken).GetEnumerator();
    }

    /// <summary>Where the batch after the last one read is.</summary>
    public DatasetPosition Next { get; private set; }

    /// <summary>The first pass this stream does not enter (null: no limit).</summary>
    public long? PassLimit { get; set; }

    /// <summary>Whether the last batch read knew its global example count (record or no sharding: every replica ends at the same step).</summary>
    public bool GlobalCountKnown { get; private set; }

    /// <summary>Whether any batch was read.</summary>
    public bool ReadAny { get; private set; }

    /// <summary>The next batch, or null at the end of the data or of the pass limit.</summary>
    public DataBatch? Read()
    {
        if (_pending is { } pending)
        {
            if (BeyondLimit(pending))
            {
                return null;
            }

            _pending = null;
            return Take(pending);
        }

        if (_exhausted)
        {
            return null;
        }

        if (!_batches.MoveNext())
        {
            _exhausted = true;
            if (Next.Batch != 0)
            {
                Next = new DatasetPosition(Next.Pass + 1, 0);
            }

            return null;
        }

        var batch = _batches.Current;
        if (BeyondLimit(batch))
        {
            _pending = batch;
            Next = batch.Position;
            return null;
        }

        return Take(batch);
    }

    public void Dispose()
    {
        _pending?.Dispose();
        _batches.Dispose();
    }

    private bool BeyondLimit(DataBatch batch) => PassLimit is { } limit && batch.Position.Pass >= limit;

    private DataBatch Take(DataBatch batch)
    {
        ReadAny = true;
        GlobalCountKnown = batch.GlobalCount >= 0;
        var position = batch.Position;
        Next = _batchesPerPass is { } perPass && position.Batch + 1 >= perPass
            ? new DatasetPosition(position.Pass + 1, 0)
            : new DatasetPosition(position.Pass, position.Batch + 1);
        return batch;
    }
}
