using Mlops.Training.Runtime;
using Mlops.Training.Tests.Training;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Metrics;

/// <summary>Each metric against its definition, and its state's additivity (what lets replicas sum states).</summary>
public class MetricTests
{
    private static readonly double[] Scores = [0.9, 0.8, 0.3, 0.6, 0.2, 0.7, 0.4, 0.1];
    private static readonly double[] Truth = [1, 1, 0, 0, 0, 1, 1, 0];

    public MetricTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Binary_metrics_match_their_definitions()
    {
        // Thresholded at 0.5: predicted 1 1 0 1 0 1 0 0 against 1 1 0 0 0 1 1 0.
        Assert.Equal(6.0 / 8, Compute(Metric.Accuracy, Loss.BinaryCrossEntropy, 1), 12);
        Assert.Equal(6.0 / 8, Compute(Metric.BinaryAccuracy, Loss.BinaryCrossEntropy, 1), 12);
        Assert.Equal(3.0 / 4, Compute(Metric.Precision, Loss.BinaryCrossEntropy, 1), 12);
        Assert.Equal(3.0 / 4, Compute(Metric.Recall, Loss.BinaryCrossEntropy, 1), 12);
        var mae = Scores.Select((s, i) => Math.Abs(s - Truth[i])).Average();
        var mse = Scores.Select((s, i) => Math.Pow(s - Truth[i], 2)).Average();
        Assert.Equal(mae, Compute(Metric.MeanAbsoluteError, Loss.MeanSquaredError, 1), 12);
        Assert.Equal(mse, Compute(Metric.MeanSquaredError, Loss.MeanSquaredError, 1), 12);
    }

    [Fact]
    public void Auc_approaches_the_exact_ROC_area()
    {
        // Exact area: the share of (positive, negative) pairs ranked correctly.
        var positives = Scores.Where((_, i) => Truth[i] == 1).ToArray();
        var negatives = Scores.Where((_, i) => Truth[i] == 0).ToArray();
        var exact = positives.SelectMany(p => negatives, (p, n) => p > n ? 1.0 : 0).Average();
        Assert.Equal(exact, Compute(Metric.AucWith(1001), Loss.BinaryCrossEntropy, 1), 3);
        Assert.Equal(exact, Compute(Metric.Auc, Loss.BinaryCrossEntropy, 1), 1);
        Assert.Equal("auc_1001", Metric.AucWith(1001).ConfigName);
        Assert.Equal(1.0, Compute(Metric.Auc, Loss.BinaryCrossEntropy, 1, scores: Truth.Select(t => t * 0.8 + 0.1).ToArray()), 6);
    }

    [Fact]
    public void Categorical_accuracies_compare_the_highest_output()
    {
        using var predictions = tensor(new[] { 0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.3, 0.3, 0.4 }, [3, 3]);
        using var sparse = Loss.SparseCategoricalCrossEntropy.PrepareLabels(tensor(new[] { 1.0, 1, 2 }), 3);
        using var oneHot = tensor(new[] { 0.0, 1, 0, 0, 1, 0, 0, 0, 1 }, [3, 3]);
        Assert.Equal(2.0 / 3, Run(Metric.Accuracy.Resolve(Loss.SparseCategoricalCrossEntropy, 3), predictions, sparse, 3), 12);
        Assert.Equal(2.0 / 3, Run(Metric.SparseCategoricalAccuracy, predictions, sparse, 3), 12);
        Assert.Equal(2.0 / 3, Run(Metric.Accuracy.Resolve(Loss.CategoricalCrossEntropy, 3), predictions, oneHot, 3), 12);
        Assert.Equal("accuracy", Metric.Accuracy.Resolve(Loss.CategoricalCrossEntropy, 3).Name);
    }

    [Fact]
    public void States_of_parts_add_up_to_the_state_of_the_whole()
    {
        foreach (var metric in new[] { Metric.Accuracy, Metric.Precision, Metric.Recall, Metric.Auc, Metric.MeanAbsoluteError })
        {
            var resolved = metric.Resolve(Loss.BinaryCrossEntropy, 1);
            using var whole = zeros(resolved.StateSize, ScalarType.Float64);
            using var parts = zeros(resolved.StateSize, ScalarType.Float64);
            using var predictions = tensor(Scores, [8, 1]);
            using var labels = tensor(Truth, [8, 1]);
            resolved.Accumulate(predictions, labels, whole);
            resolved.Accumulate(predictions[..3], labels[..3], parts);
            resolved.Accumulate(predictions[3..], labels[3..], parts);
            Assert.True(whole.allclose(parts), metric.Name);
        }
    }

    [Fact]
    public void Metrics_in_fit_use_the_names_Keras_reports()
    {
        var (features, labels) = TestData.Separable(64);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Build(seed: 1)
            .Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy, Metric.Accuracy, Metric.Auc, Metric.Precision, Metric.Recall, Metric.MeanSquaredError);
        var results = model.Evaluate(new ArrayDataset(features, labels).Batch(16));
        Assert.Equal(["accuracy", "auc", "loss", "mean_squared_error", "precision", "recall"], results.Keys.Order());
        var duplicate = Assert.Throws<ArgumentException>(() => model.Compile(model.Optimizer!, Loss.BinaryCrossEntropy, Metric.Accuracy, Metric.Accuracy));
        Assert.Contains("'accuracy' is given twice", duplicate.Message, StringComparison.Ordinal);
    }

    private static double Compute(Metric metric, Loss loss, long width, double[]? scores = null)
    {
        using var predictions = tensor(scores ?? Scores, [8, 1]);
        using var labels = tensor(Truth, [8, 1]);
        return Run(metric.Resolve(loss, width), predictions, labels, 8);
    }

    private static double Run(Metric metric, Tensor predictions, Tensor labels, double examples)
    {
        using var state = zeros(metric.StateSize, ScalarType.Float64);
        metric.Accumulate(predictions, labels, state);
        return metric.Result(state.data<double>().ToArray(), predictions.shape[0]);
    }
}
