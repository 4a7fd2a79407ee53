using Mlops.Training.Data;
using Mlops.Training.Data.Pipeline;

namespace Mlops.Training;

/// <summary>
/// How <c>Fit</c> turns a dataset into epochs, following Keras. Without <c>stepsPerEpoch</c>, or with exactly the
/// dataset's length, each epoch is one read of the dataset (Keras re-creates the iterator): for a dataset made with
/// <c>Dataset.FromArrays</c>/<c>ParquetDataset</c> of P passes, epoch e reads passes [e·P, (e+1)·P) of the endlessly
/// repeated dataset, so every epoch gets the pass-numbered shuffle a new tf.data iterator would; a dataset that
/// implements <c>Read</c> itself is read again from its start. Otherwise one stream runs through the epochs, and if
/// it ends training stops with a warning.
/// </summary>
internal sealed class EpochPlan
{
    private EpochPlan(EpochMode mode, Dataset source, long passesPerEpoch)
    {
        Mode = mode;
        Source = source;
        PassesPerEpoch = passesPerEpoch;
    }

    public EpochMode Mode { get; }

    /// <summary>The dataset actually read (the endless repetition in <see cref="EpochMode.PassesPerEpoch"/> mode).</summary>
    public Dataset Source { get; }

    /// <summary>Passes of the data in one epoch (<see cref="EpochMode.PassesPerEpoch"/> mode).</summary>
    public long PassesPerEpoch { get; }

    public static EpochPlan Create(Dataset train, int? stepsPerEpoch, int numReplicas)
    {
        var passes = train is PipelineDataset pipeline && pipeline.Spec.Passes is { } count && count > 0 ? count : (long?)null;
        if (stepsPerEpoch is { } steps)
        {
            var total = train.IsInfinite ? null : train.BatchesPerPass(numReplicas) * (passes ?? 1);
            if (total != steps)
            {
                return new EpochPlan(EpochMode.Continuous, train, 0);
            }
        }

        return passes is { } perEpoch
            ? new EpochPlan(EpochMode.PassesPerEpoch, train.Repeat(), perEpoch)
            : new EpochPlan(EpochMode.Restart, train, 0);
    }

    /// <summary>Where epoch <paramref name="epoch"/> starts when it starts fresh.</summary>
    public DatasetPosition EpochStart(int epoch) => Mode == EpochMode.PassesPerEpoch
        ? new DatasetPosition(checked((int)(epoch * PassesPerEpoch)), 0)
        : DatasetPosition.Start;

    /// <summary>The first pass after epoch <paramref name="epoch"/> (null when epochs are not bounded by passes).</summary>
    public long? PassLimit(int epoch) => Mode == EpochMode.PassesPerEpoch ? (epoch + 1) * PassesPerEpoch : null;
}

/// <summary>How epochs read the data.</summary>
internal enum EpochMode
{
    /// <summary>One stream through all epochs; its end stops training.</summary>
    Continuous,

    /// <summary>Each epoch is the next block of passes of the endlessly repeated dataset.</summary>
    PassesPerEpoch,

    /// <summary>Each epoch reads the dataset again from its start.</summary>
    Restart,
}
