using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Mean squared or mean absolute error (PyTorch's <c>mse_loss</c>/<c>l1_loss</c>), per example averaged over the outputs.</summary>
internal sealed class RegressionLoss : Loss
{
    private readonly bool _squared;

    public RegressionLoss(bool squared)
    {
        _squared = squared;
    }

    public override string Name => _squared ? "mean_squared_error" : "mean_absolute_error";

    public override Tensor Sum(Tensor predictions, Tensor labels)
    {
        var loss = Compute(predictions, labels, nn.Reduction.Sum);
        var width = predictions.dim() == 2 ? predictions.shape[1] : 1;
        if (width > 1)
        {
            using (loss)
            {
                return loss / width;
            }
        }

        return loss;
    }

    public override Tensor Mean(Tensor predictions, Tensor labels) => Compute(predictions, labels, nn.Reduction.Mean);

    private Tensor Compute(Tensor predictions, Tensor labels, nn.Reduction reduction) => _squared
        ? nn.functional.mse_loss(predictions, labels, reduction)
        : nn.functional.l1_loss(predictions, labels, reduction);
}
