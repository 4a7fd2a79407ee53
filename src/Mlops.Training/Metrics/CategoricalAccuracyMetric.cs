using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Whether each example's highest output is at its class (an index, or the highest value of a one-hot label). State: [matches].</summary>
internal sealed class CategoricalAccuracyMetric : Metric
{
    private readonly bool _sparse;

    public CategoricalAccuracyMetric(string name, bool sparse)
    {
        Name = name;
        _sparse = sparse;
    }

    public override string Name { get; }

    internal override int StateSize => 1;

    internal override void Accumulate(Tensor predictions, Tensor labels, Tensor state)
    {
        using var predicted = predictions.argmax(1);
        using var actual = _sparse ? (labels.dim() == 2 ? labels.squeeze(1) : labels.alias()) : labels.argmax(1);
        using var matches = predicted.eq(actual);
        using var count = matches.sum();
        state.add_(count, Scalars.One);
    }

    internal override double Result(ReadOnlySpan<double> state, double examples) => examples == 0 ? 0 : state[0] / examples;
}
