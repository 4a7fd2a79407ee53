using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Binary accuracy: outputs above the threshold count as 1 and are compared with their labels. State: [matches].</summary>
internal sealed class BinaryAccuracyMetric : Metric
{
    private readonly double _threshold;
    private readonly long _width;
    private readonly Scalar _thresholdScalar;

    public BinaryAccuracyMetric(string name, double threshold, long width = 1)
    {
        Name = name;
        _threshold = threshold;
        _width = width;
        _thresholdScalar = threshold.ToScalar();
    }

    public override string Name { get; }

    internal override int StateSize => 1;

    internal override Metric Resolve(Loss loss, long outputWidth) => new BinaryAccuracyMetric(Name, _threshold, outputWidth);

    internal override void Accumulate(Tensor predictions, Tensor labels, Tensor state)
    {
        using var above = predictions.gt(_thresholdScalar);
        using var matches = above.eq(labels);
        using var count = matches.sum();
        state.add_(count, Scalars.One);
    }

    // Every output of every example counts: Keras averages over the outputs too.
    internal override double Result(ReadOnlySpan<double> state, double examples) => examples == 0 ? 0 : state[0] / (examples * _width);
}
