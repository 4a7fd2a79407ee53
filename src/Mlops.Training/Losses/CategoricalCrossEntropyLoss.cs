using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Categorical cross-entropy with class-index (sparse) or one-hot labels. On probabilities (a softmax output) it
/// clamps them to [1e-7, 1 - 1e-7] and takes the log, as Keras does; on logits it uses PyTorch's fused
/// <c>cross_entropy</c>.
/// </summary>
internal sealed class CategoricalCrossEntropyLoss : Loss
{
    private const double Epsilon = 1e-7;
    private readonly bool _sparse;
    private readonly bool _fromLogits;
    private readonly Scalar _low = Epsilon.ToScalar();
    private readonly Scalar _high = (1 - Epsilon).ToScalar();

    public CategoricalCrossEntropyLoss(bool sparse, bool fromLogits)
    {
        _sparse = sparse;
        _fromLogits = fromLogits;
    }

    public override string Name => (_sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy") + (_fromLogits ? "_from_logits" : string.Empty);

    public override bool SparseLabels => _sparse;

    public override Tensor Sum(Tensor predictions, Tensor labels) => Compute(predictions, labels, nn.Reduction.Sum);

    public override Tensor Mean(Tensor predictions, Tensor labels) => Compute(predictions, labels, nn.Reduction.Mean);

    public override Tensor PrepareLabels(Tensor labels, long outputWidth)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!_sparse)
        {
            return labels;
        }

        var indices = labels.dim() == 2 ? labels.squeeze(1) : labels;
        return indices.to_type(ScalarType.Int64);
    }

    public override string? CheckLabels(long[] labelShape, long outputWidth)
    {
        ArgumentNullException.ThrowIfNull(labelShape);
        if (_sparse)
        {
            var fits = labelShape.Length == 1 || (labelShape.Length == 2 && labelShape[1] == 1);
            return fits ? null : $"labels of shape [{string.Join(", ", labelShape)}] are not class indices for {Name} (expected [n] or [n, 1])";
        }

        return labelShape.Length == 2 && labelShape[1] == outputWidth
            ? null
            : $"labels of shape [{string.Join(", ", labelShape)}] do not fit the model's {outputWidth} classes for {Name} (expected one-hot [n, {outputWidth}])";
    }

    private Tensor Compute(Tensor predictions, Tensor labels, nn.Reduction reduction)
    {
        if (_fromLogits)
        {
            return nn.functional.cross_entropy(predictions, labels, reduction: reduction);
        }

        using var clamped = predictions.clamp(_low, _high);
        using var logs = clamped.log();
        return _sparse
            ? nn.functional.nll_loss(logs, labels, reduction: reduction)
            : Soft(logs, labels, reduction);
    }

    private static Tensor Soft(Tensor logs, Tensor labels, nn.Reduction reduction)
    {
        using var products = labels * logs;
        using var perExample = products.sum(1);
        using var negated = perExample.neg();
        return reduction == nn.Reduction.Sum ? negated.sum() : negated.mean();
    }
}
