using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Precision (true positives / predicted positives) or recall (true positives / actual positives) at threshold 0.5,
/// over every output. State: [true positives, predicted or actual positives]. 0 when the denominator is 0, as Keras.
/// </summary>
internal sealed class PrecisionRecallMetric : Metric
{
    private readonly bool _precision;
    private readonly Scalar _threshold = 0.5.ToScalar();

    public PrecisionRecallMetric(bool precision)
    {
        _precision = precision;
    }

    public override string Name => _precision ? "precision" : "recall";

    internal override int StateSize => 2;

    internal override void Accumulate(Tensor predictions, Tensor labels, Tensor state)
    {
        using var predicted = predictions.gt(_threshold);
        using var actual = labels.gt(_threshold);
        using var both = predicted.logical_and(actual);
        using var truePositives = both.sum();
        using var positives = (_precision ? predicted : actual).sum();
        using var stacked = stack([truePositives, positives]);
        state.add_(stacked, Scalars.One);
    }

    internal override double Result(ReadOnlySpan<double> state, double examples) => state[1] == 0 ? 0 : state[0] / state[1];
}
