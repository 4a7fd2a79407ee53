using Mlops.Training.Data;
using static TorchSharp.torch;

namespace Mlops.Benchmarks.Training;

/// <summary>
/// A repeating, batched dataset whose rows already live on the training device (one [rows, width] feature tensor and
/// one [rows, 1] label tensor), read in order without a copy: each batch is a pair of views into them. It is the
/// trainer's input when data fits in GPU memory, and lets the benchmark time <c>Fit</c> without the host-to-device
/// copy that an in-memory host dataset pays every step. Record sharding as the trainer expects: replica r of N takes
/// the r-th contiguous slice of B/N rows of every global batch.
/// </summary>
internal sealed class DeviceTensorDataset : Dataset
{
    private readonly Tensor _features;
    private readonly Tensor _labels;
    private readonly int _batchSize;
    private readonly long _batches;

    /// <param name="features">[rows, width] on the device; owned by the caller, who keeps it alive while the dataset is read.</param>
    /// <param name="labels">[rows, 1] on the same device.</param>
    /// <param name="batchSize">The global batch size; rows beyond the last whole batch are not read.</param>
    public DeviceTensorDataset(Tensor features, Tensor labels, int batchSize)
    {
        if (features.dim() != 2 || labels.shape[0] != features.shape[0])
        {
            throw new ArgumentException($"features [{string.Join(", ", features.shape)}] must be [rows, width] and labels [{string.Join(", ", labels.shape)}] must have as many rows.", nameof(labels));
        }

        if (batchSize < 1 || batchSize > features.shape[0])
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must be in [1, {features.shape[0]}] (the rows on the device).");
        }

        _features = features;
        _labels = labels;
        _batchSize = batchSize;
        _batches = features.shape[0] / batchSize;
    }

    public override int FeatureWidth => (int)_features.shape[1];

    public override int? GlobalBatchSize => _batchSize;

    public override bool IsInfinite => true;

    public override long? BatchesPerPass(int numReplicas) => _batches;

    public override IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_batchSize % context.NumReplicas != 0)
        {
            throw new ArgumentException($"The global batch size {_batchSize} is not divisible by the {context.NumReplicas} replicas.", nameof(context));
        }

        var share = _batchSize / context.NumReplicas;
        var pass = start.Pass;
        var batch = start.Batch;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = (batch * _batchSize) + (context.ReplicaId * share);
            yield return new DataBatch(_features.narrow(0, first, share), _labels.narrow(0, first, share), _batchSize, new DatasetPosition(pass, batch));
            if (++batch == _batches)
            {
                batch = 0;
                pass++;
            }
        }
    }

    public override string ToString() => $"DeviceTensorDataset({_features.shape[0]} rows x {FeatureWidth} on {_features.device}, batch {_batchSize}, repeated)";
}
