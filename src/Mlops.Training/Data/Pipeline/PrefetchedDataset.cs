namespace Mlops.Training.Data.Pipeline;

/// <summary><c>Prefetch</c> over a dataset that implements <see cref="Dataset.Read"/> itself: its batches are produced on a background thread.</summary>
internal sealed class PrefetchedDataset(Dataset inner, int batches) : Dataset
{
    public override int FeatureWidth => inner.FeatureWidth;

    public override int? GlobalBatchSize => inner.GlobalBatchSize;

    public override bool IsInfinite => inner.IsInfinite;

    public override long? BatchesPerPass(int numReplicas) => inner.BatchesPerPass(numReplicas);

    public override long? RecordsPerPass() => inner.RecordsPerPass();

    public override IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new PrefetchingBatches(token => inner.Read(context, start, token), batches, cancellationToken);
    }
}
