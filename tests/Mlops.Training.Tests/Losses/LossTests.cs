using Mlops.Training.Runtime;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Losses;

/// <summary>Each loss against its formula computed by hand (Keras' definitions).</summary>
public class LossTests
{
    private static readonly double[] Probabilities = [0.9, 0.2, 0.6, 1.0, 0.0];
    private static readonly double[] Targets = [1, 0, 0, 0, 0];

    public LossTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Binary_cross_entropy_clamps_probabilities_like_Keras()
    {
        using var predictions = tensor(Probabilities, [5, 1]);
        using var labels = Loss.BinaryCrossEntropy.PrepareLabels(tensor(Targets), 1);
        var expected = Probabilities.Select((p, i) =>
        {
            var q = Math.Clamp(p, 1e-7, 1 - 1e-7);
            return -((Targets[i] * Math.Log(q)) + ((1 - Targets[i]) * Math.Log(1 - q)));
        }).ToArray();

        Assert.Equal(expected.Sum(), Loss.BinaryCrossEntropy.Sum(predictions, labels).item<double>(), 9);
        Assert.Equal(expected.Average(), Loss.BinaryCrossEntropy.Mean(predictions, labels).item<double>(), 9);
    }

    [Fact]
    public void Binary_cross_entropy_from_logits_is_stable()
    {
        double[] logits = [3, -2, 0.5, 80, -80];
        using var predictions = tensor(logits, [5, 1]);
        using var labels = tensor(Targets, [5, 1]);
        var expected = logits.Select((z, i) => Math.Max(z, 0) - (z * Targets[i]) + Math.Log(1 + Math.Exp(-Math.Abs(z)))).Sum();
        Assert.Equal(expected, Loss.BinaryCrossEntropyFromLogits.Sum(predictions, labels).item<double>(), 9);
    }

    [Fact]
    public void Regression_losses_average_over_outputs_per_example()
    {
        using var predictions = tensor(new[] { 1.0, 2, 3, 4 }, [2, 2]);
        using var labels = tensor(new[] { 0.0, 2, 5, 4 }, [2, 2]);
        // Per example: MSE (1 + 0)/2, (4 + 0)/2; MAE (1 + 0)/2, (2 + 0)/2.
        Assert.Equal(2.5, Loss.MeanSquaredError.Sum(predictions, labels).item<double>(), 12);
        Assert.Equal(1.25, Loss.MeanSquaredError.Mean(predictions, labels).item<double>(), 12);
        Assert.Equal(1.5, Loss.MeanAbsoluteError.Sum(predictions, labels).item<double>(), 12);
        Assert.Equal(0.75, Loss.MeanAbsoluteError.Mean(predictions, labels).item<double>(), 12);
    }

    [Fact]
    public void Categorical_cross_entropies_on_probabilities_and_logits()
    {
        double[] logits = [2, 1, 0.1, 0.5, 2.5, -1];
        using var logitTensor = tensor(logits, [2, 3]);
        using var probabilities = logitTensor.softmax(1);
        using var sparse = Loss.SparseCategoricalCrossEntropy.PrepareLabels(tensor(new[] { 0.0, 1 }), 3);
        using var oneHot = tensor(new[] { 1.0, 0, 0, 0, 1, 0 }, [2, 3]);
        var p = probabilities.data<double>().ToArray();
        var expected = -(Math.Log(p[0]) + Math.Log(p[4]));

        Assert.Equal(ScalarType.Int64, sparse.dtype);
        Assert.Equal(expected, Loss.SparseCategoricalCrossEntropy.Sum(probabilities, sparse).item<double>(), 9);
        Assert.Equal(expected / 2, Loss.SparseCategoricalCrossEntropy.Mean(probabilities, sparse).item<double>(), 9);
        Assert.Equal(expected, Loss.SparseCategoricalCrossEntropyFromLogits.Sum(logitTensor, sparse).item<double>(), 9);
        Assert.Equal(expected, Loss.CategoricalCrossEntropy.Sum(probabilities, oneHot).item<double>(), 9);
        Assert.Equal(expected / 2, Loss.CategoricalCrossEntropyFromLogits.Mean(logitTensor, oneHot).item<double>(), 9);
    }

    [Fact]
    public void Label_shapes_are_checked_against_the_outputs()
    {
        Assert.Null(Loss.BinaryCrossEntropy.CheckLabels([8], 1));
        Assert.Null(Loss.BinaryCrossEntropy.CheckLabels([8, 1], 1));
        Assert.Contains("[8, 3]", Loss.BinaryCrossEntropy.CheckLabels([8, 3], 1), StringComparison.Ordinal);
        Assert.Null(Loss.SparseCategoricalCrossEntropy.CheckLabels([8], 5));
        Assert.NotNull(Loss.SparseCategoricalCrossEntropy.CheckLabels([8, 5], 5));
        Assert.Null(Loss.CategoricalCrossEntropy.CheckLabels([8, 5], 5));
        Assert.NotNull(Loss.CategoricalCrossEntropy.CheckLabels([8], 5));
        Assert.Same(Loss.MeanSquaredError, Loss.FromName("mean_squared_error"));
        Assert.Throws<ArgumentException>(() => Loss.FromName("hinge"));
    }
}
