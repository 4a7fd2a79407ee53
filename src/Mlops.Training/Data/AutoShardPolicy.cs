namespace Mlops.Training.Data;

/// <summary>
/// How the replicas of a job divide a dataset among themselves, as <c>tf.data.experimental.AutoShardPolicy</c> does.
/// </summary>
public enum AutoShardPolicy
{
    /// <summary>
    /// <see cref="File"/> when the dataset has at least as many files as there are replicas, otherwise
    /// <see cref="Data"/> (TensorFlow's rule). In-memory datasets have no files and always use <see cref="Data"/>.
    /// </summary>
    Auto,

    /// <summary>
    /// Replica <c>r</c> of <c>N</c> reads the files whose index (in path order) <c>i</c> has <c>i % N == r</c>, in
    /// batches of <c>B / N</c> of its own records. Only whole files are sharded, as in TensorFlow (a single large file
    /// is not split by row group). Replicas may run out of data at different steps, so a batch's global count is
    /// unknown to the dataset (<see cref="DataBatch.GlobalCount"/> is -1) and the trainer settles the end of a pass.
    /// </summary>
    File,

    /// <summary>
    /// Record sharding: every replica computes the same global order (same seed, same pass) and takes its contiguous
    /// slice of each global batch, so the replicas' slices of batch <c>k</c> together are exactly the batch a single
    /// reader sees. Every replica decodes the data it needs for its slices.
    /// </summary>
    Data,

    /// <summary>
    /// No sharding: every replica reads the whole dataset in batches of <c>B / N</c>, so each record is seen N times
    /// per pass (TensorFlow's <c>OFF</c>). Useful when the replicas must see identical data.
    /// </summary>
    Off,
}
