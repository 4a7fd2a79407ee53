using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// A loss to minimise, as Keras names them. Each gives the SUM of the per-example losses of a batch (what every replica
/// computes over its slice: the gradients are summed across replicas and divided by the global example count) and the
/// MEAN (what a single replica uses directly). Per-example losses average over the output's features, as Keras does.
/// </summary>
public abstract class Loss
{
    private protected Loss()
    {
    }

    /// <summary>Binary cross-entropy on probabilities (a sigmoid output), clamped to [1e-7, 1 - 1e-7] as Keras does.</summary>
    public static Loss BinaryCrossEntropy { get; } = new BinaryCrossEntropyLoss(fromLogits: false);

    /// <summary>Binary cross-entropy on logits (an output with no activation), computed stably.</summary>
    public static Loss BinaryCrossEntropyFromLogits { get; } = new BinaryCrossEntropyLoss(fromLogits: true);

    /// <summary>The mean squared error.</summary>
    public static Loss MeanSquaredError { get; } = new RegressionLoss(squared: true);

    /// <summary>The mean absolute error.</summary>
    public static Loss MeanAbsoluteError { get; } = new RegressionLoss(squared: false);

    /// <summary>Cross-entropy of class probabilities (a softmax output) against integer class labels (shape [n]).</summary>
    public static Loss SparseCategoricalCrossEntropy { get; } = new CategoricalCrossEntropyLoss(sparse: true, fromLogits: false);

    /// <summary>Cross-entropy of logits against integer class labels (shape [n]).</summary>
    public static Loss SparseCategoricalCrossEntropyFromLogits { get; } = new CategoricalCrossEntropyLoss(sparse: true, fromLogits: true);

    /// <summary>Cross-entropy of class probabilities (a softmax output) against one-hot (or soft) labels of shape [n, classes].</summary>
    public static Loss CategoricalCrossEntropy { get; } = new CategoricalCrossEntropyLoss(sparse: false, fromLogits: false);

    /// <summary>Cross-entropy of logits against one-hot (or soft) labels of shape [n, classes].</summary>
    public static Loss CategoricalCrossEntropyFromLogits { get; } = new CategoricalCrossEntropyLoss(sparse: false, fromLogits: true);

    /// <summary>The loss's Keras name (binary_crossentropy, mean_squared_error, ...), with a <c>_from_logits</c> suffix for logit variants.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the labels are class indices (sparse categorical losses).</summary>
    public virtual bool SparseLabels => false;

    /// <summary>Finds a loss by its <see cref="Name"/>.</summary>
    /// <param name="name">The name, as written in <c>model.json</c>.</param>
    /// <returns>The loss.</returns>
    public static Loss FromName(string name) =>
        new[] { BinaryCrossEntropy, BinaryCrossEntropyFromLogits, MeanSquaredError, MeanAbsoluteError, SparseCategoricalCrossEntropy, SparseCategoricalCrossEntropyFromLogits, CategoricalCrossEntropy, CategoricalCrossEntropyFromLogits }
            .FirstOrDefault(loss => loss.Name == name)
        ?? throw new ArgumentException($"Unknown loss '{name}'.", nameof(name));

    /// <summary>The sum of the per-example losses of a batch (a scalar).</summary>
    /// <param name="predictions">Model outputs, [n, outputs].</param>
    /// <param name="labels">Labels as prepared by <see cref="PrepareLabels"/>.</param>
    /// <returns>A scalar tensor.</returns>
    public abstract Tensor Sum(Tensor predictions, Tensor labels);

    /// <summary>The mean of the per-example losses of a batch (a scalar).</summary>
    /// <param name="predictions">Model outputs, [n, outputs].</param>
    /// <param name="labels">Labels as prepared by <see cref="PrepareLabels"/>.</param>
    /// <returns>A scalar tensor.</returns>
    public abstract Tensor Mean(Tensor predictions, Tensor labels);

    /// <summary>
    /// Brings a batch's labels into the form the loss and metrics compare with the outputs: [n] labels of a
    /// one-output model become [n, 1]; sparse labels become int64 class indices.
    /// </summary>
    /// <param name="labels">The batch's labels (on the model's device).</param>
    /// <param name="outputWidth">The model's output width.</param>
    /// <returns>The labels to use (may be <paramref name="labels"/> itself).</returns>
    public virtual Tensor PrepareLabels(Tensor labels, long outputWidth)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.dim() == 1 && outputWidth == 1 ? labels.unsqueeze(1) : labels;
    }

    /// <summary>Checks a batch's label shape against the model's output width; returns a message naming both, or null when they fit.</summary>
    /// <param name="labelShape">The labels' shape.</param>
    /// <param name="outputWidth">The model's output width.</param>
    /// <returns>null, or what is wrong.</returns>
    public virtual string? CheckLabels(long[] labelShape, long outputWidth)
    {
        ArgumentNullException.ThrowIfNull(labelShape);
        var fits = (labelShape.Length == 1 && outputWidth == 1) || (labelShape.Length == 2 && labelShape[1] == outputWidth);
        return fits ? null : $"labels of shape [{string.Join(", ", labelShape)}] do not fit the model's {outputWidth} output(s) for {Name} (expected [n, {outputWidth}]{(outputWidth == 1 ? " or [n]" : string.Empty)})";
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
