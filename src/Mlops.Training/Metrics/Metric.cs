using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// A quantity reported besides the loss, as Keras names them. A metric's state is a short vector of sums (for accuracy:
/// the correct predictions) accumulated on the model's device without reading it back each step; replicas add their
/// states, and the result is computed from the summed state and the number of examples seen.
/// </summary>
public abstract class Metric
{
    private protected Metric()
    {
    }

    /// <summary>Accuracy as Keras chooses it from the model: binary accuracy (threshold 0.5) for one output, sparse
    /// categorical accuracy with a sparse categorical loss, categorical accuracy otherwise. Reported as "accuracy".</summary>
    public static Metric Accuracy { get; } = new AccuracyMetric();

    /// <summary>The share of outputs that, thresholded at 0.5, equal their label.</summary>
    public static Metric BinaryAccuracy { get; } = new BinaryAccuracyMetric("binary_accuracy", 0.5);

    /// <summary>The share of examples whose highest output is at their class-index label.</summary>
    public static Metric SparseCategoricalAccuracy { get; } = new CategoricalAccuracyMetric("sparse_categorical_accuracy", sparse: true);

    /// <summary>The share of examples whose highest output is at the highest value of their one-hot label.</summary>
    public static Metric CategoricalAccuracy { get; } = new CategoricalAccuracyMetric("categorical_accuracy", sparse: false);

    /// <summary>True positives over predicted positives, at threshold 0.5.</summary>
    public static Metric Precision { get; } = new PrecisionRecallMetric(precision: true);

    /// <summary>True positives over actual positives, at threshold 0.5.</summary>
    public static Metric Recall { get; } = new PrecisionRecallMetric(precision: false);

    /// <summary>The mean absolute error.</summary>
    public static Metric MeanAbsoluteError { get; } = new RegressionErrorMetric(squared: false);

    /// <summary>The mean squared error.</summary>
    public static Metric MeanSquaredError { get; } = new RegressionErrorMetric(squared: true);

    /// <summary>The area under the ROC curve, over Keras' 200 evenly spaced thresholds with trapezoidal interpolation.</summary>
    public static Metric Auc { get; } = new AucMetric(200);

    /// <summary>The metric's name in logs and history (Keras' names).</summary>
    public abstract string Name { get; }

    /// <summary>The area under the ROC curve over <paramref name="numThresholds"/> thresholds (as Keras' <c>AUC(num_thresholds)</c>).</summary>
    /// <param name="numThresholds">Thresholds, at least 3 (Keras' default 200).</param>
    /// <returns>The metric.</returns>
    public static Metric AucWith(int numThresholds) => new AucMetric(numThresholds);

    /// <summary>Finds a metric by its <see cref="Name"/> (auc_N for AUC with N thresholds).</summary>
    /// <param name="name">The name, as written in <c>model.json</c>.</param>
    /// <returns>The metric.</returns>
    public static Metric FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("auc_", StringComparison.Ordinal) && int.TryParse(name.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture, out var thresholds))
        {
            return AucWith(thresholds);
        }

        return new[] { Accuracy, BinaryAccuracy, SparseCategoricalAccuracy, CategoricalAccuracy, Precision, Recall, MeanAbsoluteError, MeanSquaredError, Auc }
            .FirstOrDefault(metric => metric.Name == name)
            ?? throw new ArgumentException($"Unknown metric '{name}'.", nameof(name));
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The name that <see cref="FromName"/> maps back to this metric (differs from <see cref="Name"/> for AUC with other than 200 thresholds).</summary>
    internal virtual string ConfigName => Name;

    /// <summary>Values in the state vector.</summary>
    internal abstract int StateSize { get; }

    /// <summary>Picks the concrete metric for a model's loss and output width (only <see cref="Accuracy"/> differs).</summary>
    internal virtual Metric Resolve(Loss loss, long outputWidth) => this;

    /// <summary>Adds one batch to <paramref name="state"/> (a 1-D slice of <see cref="StateSize"/> values) in place, without reading it back.</summary>
    /// <param name="predictions">Outputs, [n, k].</param>
    /// <param name="labels">Labels as prepared by the loss.</param>
    /// <param name="state">The state slice.</param>
    internal abstract void Accumulate(Tensor predictions, Tensor labels, Tensor state);

    /// <summary>The metric's value from a summed state and the number of examples it covers.</summary>
    internal abstract double Result(ReadOnlySpan<double> state, double examples);
}
