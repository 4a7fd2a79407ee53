using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Binary cross-entropy. On probabilities it clamps them to [ε, 1-ε] with Keras' ε = 1e-7 before PyTorch's fused
/// <c>binary_cross_entropy</c> (the same value as Keras' formula, in two kernels); on logits it uses
/// <c>binary_cross_entropy_with_logits</c>.
/// </summary>
internal sealed class BinaryCrossEntropyLoss : Loss
{
    private const double Epsilon = 1e-7;
    private readonly bool _fromLogits;
    private readonly Scalar _low = Epsilon.ToScalar();
    private readonly Scalar _high = (1 - Epsilon).ToScalar();

    public BinaryCrossEntropyLoss(bool fromLogits)
    {
        _fromLogits = fromLogits;
    }

    public override string Name => _fromLogits ? "binary_crossentropy_from_logits" : "binary_crossentropy";

    public override Tensor Sum(Tensor predictions, Tensor labels) => Compute(predictions, labels, nn.Reduction.Sum, divideByWidth: true);

    public override Tensor Mean(Tensor predictions, Tensor labels) => Compute(predictions, labels, nn.Reduction.Mean, divideByWidth: false);

    private Tensor Compute(Tensor predictions, Tensor labels, nn.Reduction reduction, bool divideByWidth)
    {
        Tensor loss;
        if (_fromLogits)
        {
            loss = nn.functional.binary_cross_entropy_with_logits(predictions, labels, reduction: reduction);
        }
        else
        {
            using var clamped = predictions.clamp(_low, _high);
            loss = nn.functional.binary_cross_entropy(clamped, labels, reduction: reduction);
        }

        // A per-example loss is the mean over the outputs: a sum over a batch divides by the output width.
        var width = divideByWidth && predictions.dim() == 2 ? predictions.shape[1] : 1;
        if (width > 1)
        {
            using (loss)
            {
                return loss / width;
            }
        }

        return loss;
    }
}
