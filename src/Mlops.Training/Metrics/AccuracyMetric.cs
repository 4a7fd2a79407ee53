using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Keras' "accuracy": resolved at compile time to binary, sparse categorical or categorical accuracy, keeping the name.</summary>
internal sealed class AccuracyMetric : Metric
{
    public override string Name => "accuracy";

    internal override int StateSize => throw new InvalidOperationException("accuracy is resolved against the model when it is compiled.");

    internal override Metric Resolve(Loss loss, long outputWidth)
    {
        if (loss.SparseLabels)
        {
            return new CategoricalAccuracyMetric(Name, sparse: true);
        }

        return outputWidth == 1 || loss.Name.StartsWith("binary", StringComparison.Ordinal)
            ? new BinaryAccuracyMetric(Name, 0.5, outputWidth)
            : new CategoricalAccuracyMetric(Name, sparse: false);
    }

    internal override void Accumulate(Tensor predictions, Tensor labels, Tensor state) => throw new InvalidOperationException("accuracy is resolved against the model when it is compiled.");

    internal override double Result(ReadOnlySpan<double> state, double examples) => throw new InvalidOperationException("accuracy is resolved against the model when it is compiled.");
}
