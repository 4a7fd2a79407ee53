namespace Mlops.Training.Data;

/// <summary>
/// A source of training examples in the style of <c>tf.data</c>: rows of a fixed feature width with labels, turned
/// into global batches (<c>Batch</c>), optionally shuffled with a seed, repeated and prefetched. When several replicas
/// read it, each global batch is split among them according to the dataset's auto-shard policy. Datasets are
/// immutable descriptions: every transformation returns a new dataset, and reading never changes the dataset.
/// </summary>
public abstract partial class Dataset
{
    /// <summary>The number of values in each example's feature vector.</summary>
    public abstract int FeatureWidth { get; }

    /// <summary>The global batch size (split among replicas), or null when the dataset is not batched yet.</summary>
    public abstract int? GlobalBatchSize { get; }

    /// <summary>Whether reading never ends by itself (the dataset repeats without a count).</summary>
    public abstract bool IsInfinite { get; }

    /// <summary>Global batches in one pass over the data for the given number of replicas, or null when unknown.</summary>
    /// <param name="numReplicas">Replicas reading together.</param>
    /// <returns>The count, or null.</returns>
    public abstract long? BatchesPerPass(int numReplicas);

    /// <summary>
    /// Records in one pass over the data, before batching: the source's rows after record-level <c>Take</c> and
    /// <c>Skip</c> (batch-level ones, after <see cref="Batch"/>, are not counted), or null when unknown. Parquet
    /// datasets know it from the footers without decoding; a dataset over a transformed frame counts its rows once.
    /// </summary>
    /// <returns>The count, or null (the default for datasets that do not know it).</returns>
    public virtual long? RecordsPerPass() => null;

    /// <summary>
    /// Reads this replica's share of the global batches from <paramref name="start"/> on: to the end of that pass, or,
    /// for a repeated dataset, on through later passes (a new pass reshuffles with the pass number). Every replica of a
    /// job that calls this with the same start sees consistent batches: with record sharding the replicas' shares of a
    /// batch together make the global batch a single reader would see.
    /// </summary>
    /// <param name="context">The replica reading and the element type wanted.</param>
    /// <param name="start">Where to start (use <see cref="DatasetPosition.Start"/> for the beginning).</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>Batches owned by the caller (dispose each one).</returns>
    public abstract IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default);
}
