using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Mean absolute or squared error, per example averaged over the outputs. State: [sum of per-example errors].</summary>
internal sealed class RegressionErrorMetric : Metric
{
    private readonly bool _squared;

    public RegressionErrorMetric(bool squared)
    {
        _squared = squared;
    }

    public override string Name => _squared ? "mean_squared_error" : "mean_absolute_error";

    internal override int StateSize => 1;

    internal override void Accumulate(Tensor predictions, Tensor labels, Tensor state)
    {
        using var total = _squared
            ? nn.functional.mse_loss(predictions, labels, nn.Reduction.Sum)
            : nn.functional.l1_loss(predictions, labels, nn.Reduction.Sum);
        var width = predictions.dim() == 2 ? predictions.shape[1] : 1;
        if (width > 1)
        {
            total.div_(width);
        }

        state.add_(total, Scalars.One);
    }

    internal override double Result(ReadOnlySpan<double> state, double examples) => examples == 0 ? 0 : state[0] / examples;
}
