using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Mean absolute or squared error, per example averaged over the outputs. State: [sum of per-example errors].</summary>
internal sealed class RegressionErrorMetric : Metric
{
    // The loss's sum is exactly this metric's per-step contribution: per-example errors averaged over the outputs.
    private readonly RegressionLoss _error;

    public RegressionErrorMetric(bool squared)
    {
        _error = new RegressionLoss(squared);
    }

    public override string Name => _error.Name;

    internal override int StateSize => 1;

    internal override void Accumulate(Tensor predictions, Tensor labels, Tensor state)
    {
        using var total = _error.Sum(predictions, labels);
        state.add_(total, Scalars.One);
    }

    internal override double Result(ReadOnlySpan<double> state, double examples) => examples == 0 ? 0 : state[0] / examples;
}
