using Mlops.Training.Data.Pipeline;
using Mlops.Training.Data.Sources;

namespace Mlops.Training.Data;

/// <remarks>
/// <para><b>Order of transformations.</b> The reader applies them in one fixed order, the one tf.data pipelines
/// normally use: Skip/Take on records → Shuffle → Skip/Take on the shuffled records → Batch → Skip/Take on batches →
/// Repeat → Prefetch. Skip and Take act at the level where they are called (records before Batch, batches after).
/// Where tf.data would behave differently, this is what happens:</para>
/// <list type="bullet">
/// <item>Passes never run into each other: <c>Repeat().Batch(b)</c> batches like <c>Batch(b).Repeat()</c> (each pass
/// ends with its own partial batch) and <c>Repeat().Shuffle(n)</c> shuffles within each pass. This is what makes a
/// <see cref="DatasetPosition"/> (pass, batch) meaningful.</item>
/// <item><c>Cache()</c> keeps the decoded source rows; shuffling still happens per pass after it (tf.data would
/// freeze the order of the first pass if <c>cache</c> came after <c>shuffle</c>).</item>
/// <item><c>Prefetch</c> always prefetches whole batches, wherever it is called.</item>
/// <item>Shuffling batches (<c>Batch</c> then <c>Shuffle</c>), batching twice, shuffling twice and Skip/Take after
/// <c>Repeat</c> are refused with an <see cref="InvalidOperationException"/> that says what to write instead.</item>
/// </list>
/// </remarks>
public abstract partial class Dataset
{
    /// <summary>
    /// Groups records into global batches of <paramref name="globalBatchSize"/> rows. When N replicas read the dataset,
    /// each gets <c>globalBatchSize / N</c> rows of every global batch (the size must be divisible by N, as in
    /// TensorFlow). The last batch of a pass may be smaller unless <paramref name="dropRemainder"/> drops it.
    /// </summary>
    /// <param name="globalBatchSize">Rows per global batch, at least 1.</param>
    /// <param name="dropRemainder">Drop a last batch smaller than <paramref name="globalBatchSize"/> (on every replica alike).</param>
    /// <returns>The batched dataset.</returns>
    /// <exception cref="InvalidOperationException">The dataset is already batched.</exception>
    public Dataset Batch(int globalBatchSize, bool dropRemainder = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(globalBatchSize, 1);
        return Transform(nameof(Batch), spec => spec.BatchSize is { } existing
            ? throw new InvalidOperationException($"The dataset is already batched (global batch {existing}); batching batches is not supported. Call Batch once.")
            : spec with { BatchSize = globalBatchSize, DropRemainder = dropRemainder });
    }

    /// <summary>
    /// Repeats the data: <paramref name="count"/> passes, or forever when null. Each pass is shuffled with its own
    /// order (the seed combined with the pass number) unless the shuffle says otherwise. Repeating a repeated dataset
    /// multiplies the counts.
    /// </summary>
    /// <param name="count">Passes over the data (0 gives an empty dataset), or null for an endless one.</param>
    /// <returns>The repeated dataset.</returns>
    public Dataset Repeat(int? count = null)
    {
        if (count is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Repeat takes a count of at least 0, or null to repeat forever.");
        }

        return Transform(nameof(Repeat), spec => spec with
        {
            RepeatCalled = true,
            Passes = spec.Passes is { } passes && count is { } c ? passes * c : null,
        });
    }

    /// <summary>
    /// Shuffles records with a buffer of <paramref name="bufferSize"/> elements, as <c>tf.data</c> does: the buffer
    /// is filled, a random element is emitted and replaced with the next input. A buffer at least as large as the
    /// dataset gives a uniform random permutation. Files' row groups are also read in a seeded random order, so a small
    /// buffer still mixes the whole dataset over a pass.
    /// </summary>
    /// <remarks>
    /// Only record positions move through the buffer; rows are copied once, into the batch. A Parquet row group stays
    /// decoded in memory while any of its rows waits in the buffer, so memory grows with the buffer as with tf.data's
    /// (a buffer as large as the dataset ends up holding all of it). Resuming at a later position replays the buffer's
    /// positions without decoding anything.
    /// </remarks>
    /// <param name="bufferSize">Records in the shuffle buffer, at least 1.</param>
    /// <param name="seed">The seed; every replica must use the same one (the order is a function of seed and pass only).</param>
    /// <param name="reshuffleEachPass">A new order for every pass (the seed combined with the pass number), as tf.data's <c>reshuffle_each_iteration</c>; false repeats the first pass's order.</param>
    /// <returns>The shuffled dataset.</returns>
    /// <exception cref="InvalidOperationException">The dataset is already batched or already shuffled.</exception>
    public Dataset Shuffle(int bufferSize, long seed, bool reshuffleEachPass = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        return Transform(nameof(Shuffle), spec =>
        {
            if (spec.BatchSize is { } batch)
            {
                throw new InvalidOperationException($"Shuffle after Batch({batch}) would shuffle whole batches (tf.data's meaning), which is not supported: call Shuffle before Batch to shuffle records.");
            }

            return spec.Shuffle is not null
                ? throw new InvalidOperationException("The dataset is already shuffled; shuffle once, with a larger buffer if more mixing is wanted.")
                : spec with { Shuffle = new ShuffleSpec(bufferSize, seed, reshuffleEachPass) };
        });
    }

    /// <summary>Keeps the first <paramref name="count"/> elements: records before <c>Batch</c>, batches after it (within each pass).</summary>
    /// <param name="count">Elements kept, at least 0.</param>
    /// <returns>The shortened dataset.</returns>
    /// <exception cref="InvalidOperationException">Called after <c>Repeat</c>.</exception>
    public Dataset Take(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Transform(nameof(Take), spec => spec.WithWindow(w => w.Take(count), nameof(Take)));
    }

    /// <summary>Skips the first <paramref name="count"/> elements: records before <c>Batch</c>, batches after it (within each pass).</summary>
    /// <param name="count">Elements skipped, at least 0.</param>
    /// <returns>The shortened dataset.</returns>
    /// <exception cref="InvalidOperationException">Called after <c>Repeat</c>.</exception>
    public Dataset Skip(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Transform(nameof(Skip), spec => spec.WithWindow(w => w.Skip(count), nameof(Skip)));
    }

    /// <summary>
    /// Keeps decoded records in memory after they are first read, so later passes (and later reads of this dataset
    /// object) do not decode the files again. Memory grows to the size of the data read, in the element type read.
    /// Shuffling still gives each pass its own order. In-memory datasets are returned as they are.
    /// </summary>
    /// <returns>The caching dataset.</returns>
    public Dataset Cache() => Transform(nameof(Cache), spec => spec with { Cached = true });

    /// <summary>
    /// Builds up to <paramref name="batches"/> batches ahead on a background thread while the consumer works, as
    /// tf.data's <c>prefetch</c>. Errors reach the consumer unchanged; cancelling the read or disposing its enumerator
    /// stops and joins the thread. Works on any dataset, including one that implements <see cref="Read"/> itself.
    /// </summary>
    /// <param name="batches">Batches built ahead, at least 1.</param>
    /// <returns>The prefetching dataset.</returns>
    public Dataset Prefetch(int batches = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 1);
        return this is PipelineDataset
            ? Transform(nameof(Prefetch), spec => spec with { PrefetchBatches = batches })
            : new PrefetchedDataset(this, batches);
    }

    /// <summary>Sets options of the whole pipeline, such as the <see cref="DatasetOptions.AutoShardPolicy"/>.</summary>
    /// <param name="options">The options (replacing earlier ones).</param>
    /// <returns>The dataset with the options.</returns>
    public Dataset WithOptions(DatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Transform(nameof(WithOptions), spec => spec with { Options = options });
    }

    private PipelineDataset Transform(string operation, Func<PipelineSpec, PipelineSpec> change)
    {
        if (this is not PipelineDataset pipeline)
        {
            throw new NotSupportedException(
                $"{operation} applies to datasets made by Dataset.FromArrays or ParquetDataset.Open; {GetType().Name} implements Read itself, so apply the transformation there.");
        }

        var spec = change(pipeline.Spec);
        var source = spec.Cached && !pipeline.Spec.Cached && pipeline.Source is not ArrayRecordSource
            ? new CachedRecordSource(pipeline.Source)
            : pipeline.Source;
        return new PipelineDataset(source, spec);
    }
}
