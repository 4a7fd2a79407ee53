using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Data;

/// <summary>
/// One replica's share of one global batch: feature rows, their labels, and where the batch sits in the data. The
/// tensors are on the CPU (the trainer moves them to its device) and belong to the batch: disposing it frees them.
/// </summary>
public sealed class DataBatch : IDisposable
{
    /// <summary>Creates a batch.</summary>
    /// <param name="features">Feature rows, shape [count, width].</param>
    /// <param name="labels">Labels, shape [count] (or [count, k]).</param>
    /// <param name="globalCount">Rows in the whole global batch across replicas, or -1 when only the trainer can know (file sharding).</param>
    /// <param name="position">Which pass and which global batch of that pass this is.</param>
    public DataBatch(Tensor features, Tensor labels, long globalCount, DatasetPosition position)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.shape.Length == 0 || labels.shape.Length == 0 || features.shape[0] != labels.shape[0])
        {
            throw new ArgumentException($"features [{string.Join(", ", features.shape)}] and labels [{string.Join(", ", labels.shape)}] must have the same number of rows.", nameof(labels));
        }

        Features = features;
        Labels = labels;
        GlobalCount = globalCount;
        Position = position;
    }

    /// <summary>Feature rows, shape [count, width].</summary>
    public Tensor Features { get; }

    /// <summary>Labels, first dimension = <see cref="Count"/>.</summary>
    public Tensor Labels { get; }

    /// <summary>Rows in this replica's share (may be 0 at the uneven end of the data).</summary>
    public int Count => (int)Features.shape[0];

    /// <summary>Rows in the global batch across all replicas, or -1 when unknown to the dataset.</summary>
    public long GlobalCount { get; }

    /// <summary>Where this batch is: the pass over the data and the index of the global batch in that pass.</summary>
    public DatasetPosition Position { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Features.Dispose();
        Labels.Dispose();
    }
}
