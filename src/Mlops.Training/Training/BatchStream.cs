using Mlops.Training.Data;

namespace Mlops.Training;

/// <summary>
/// This replica's batches of a dataset from a start position, remembering where the next batch is (the position a
/// backup saves and a restart resumes from).
/// </summary>
internal sealed class BatchStream : IDisposable
{
    private readonly IEnumerator<DataBatch> _batches;
    private readonly long? _batchesPerPass;

    public BatchStream(Dataset dataset, DataReadContext context, DatasetPosition start, CancellationToken cancellationToken)
    {
        _batchesPerPass = dataset.BatchesPerPass(context.NumReplicas);
        Next = start;
        _batches = dataset.Read(context, start, cancellationToken).GetEnumerator();
    }

    /// <summary>Where the batch after the last one read is.</summary>
    public DatasetPosition Next { get; private set; }

    /// <summary>Whether the last batch read knew its global example count (record or no sharding: every replica ends at the same step).</summary>
    public bool GlobalCountKnown { get; private set; }

    /// <summary>Whether any batch was read.</summary>
    public bool ReadAny { get; private set; }

    /// <summary>Whether the data ended.</summary>
    public bool Ended { get; private set; }

    /// <summary>The next batch, or null once the data ended (then <see cref="Next"/> is the start of the following pass).</summary>
    public DataBatch? Read()
    {
        if (Ended)
        {
            return null;
        }

        if (!_batches.MoveNext())
        {
            Ended = true;
            if (Next.Batch != 0)
            {
                Next = new DatasetPosition(Next.Pass + 1, 0);
            }

            return null;
        }

        var batch = _batches.Current;
        ReadAny = true;
        GlobalCountKnown = batch.GlobalCount >= 0;
        var position = batch.Position;
        Next = _batchesPerPass is { } perPass && position.Batch + 1 >= perPass
            ? new DatasetPosition(position.Pass + 1, 0)
            : new DatasetPosition(position.Pass, position.Batch + 1);
        return batch;
    }

    public void Dispose() => _batches.Dispose();
}
