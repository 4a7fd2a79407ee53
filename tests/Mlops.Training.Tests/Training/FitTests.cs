using Mlops.Training.Callbacks;
using Mlops.Training.Distributed;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Training;

public class FitTests
{
    public FitTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Fit_learns_a_separable_problem_and_records_each_epoch()
    {
        var (features, labels) = TestData.Separable(512);
        var data = new ArrayDataset(features, labels).Shuffle(1).Batch(32);
        using var model = Sequential.Input(10).Dense(16, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 4)
            .Compile(Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy);

        var history = model.Fit(data, epochs: 5, verbose: Verbosity.Silent);

        Assert.Equal([0, 1, 2, 3, 4], history.Epochs);
        Assert.Equal(["accuracy", "loss"], history.Values.Keys.Order());
        Assert.True(history["loss"][4] < history["loss"][0] / 2, $"loss {string.Join(", ", history["loss"])}");
        Assert.True(history["accuracy"][4] > 0.9, $"accuracy {history["accuracy"][4]}");
        Assert.Equal(16 * 5, model.Optimizer!.Iterations);
        Assert.False(history.StoppedEarly);
    }

    [Fact]
    public void Fit_in_float64_follows_a_plain_TorchSharp_loop_step_for_step()
    {
        var (features, labels) = TestData.Separable(200);
        var data = new ArrayDataset(features, labels).Batch(16).Repeat();
        using var model = Sequential.Input(10, ScalarType.Float64).Dense(8, Activation.Relu).Dense(8, Activation.Tanh).Dense(1, Activation.Sigmoid)
            .Build(seed: 5).Compile(Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy);
        using var reference = PlainLoop.CopyOf(model);
        using var optimizer = optim.Adam(reference.parameters(), 0.01, eps: 1e-7);

        model.Fit(data, epochs: 3, stepsPerEpoch: 10, verbose: Verbosity.Silent);
        PlainLoop.Train(reference, optimizer, PlainLoop.Batches(data, ScalarType.Float64, 30));

        Assert.True(PlainLoop.MaxDifference(model, reference) < 1e-12);
    }

    [Fact]
    public void Evaluate_and_predict_agree_with_the_module()
    {
        var (features, labels) = TestData.Separable(100);
        var data = new ArrayDataset(features, labels).Batch(32);
        using var model = Sequential.Input(10).Dense(4, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 6)
            .Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy, Metric.Accuracy);

        var results = model.Evaluate(data);
        using var all = tensor(features.SelectMany(row => row).ToArray(), [100, 10]).to_type(ScalarType.Float32);
        using var predicted = model.Predict(data);
        using var direct = model.Predict(all);
        var rows = model.Predict(features.Select(row => row.Select(value => (float)value).ToArray()).ToArray());

        Assert.Equal([100L, 1L], predicted.shape);
        Assert.True(predicted.allclose(direct));
        Assert.Equal(direct[7, 0].item<float>(), rows[7][0]);
        var probabilities = direct.data<float>().ToArray();
        var expectedLoss = probabilities.Select((p, i) => -((labels[i] * Math.Log(Math.Clamp(p, 1e-7, 1 - 1e-7))) + ((1 - labels[i]) * Math.Log(1 - Math.Clamp(p, 1e-7, 1 - 1e-7))))).Average();
        var expectedAccuracy = probabilities.Select((p, i) => (p > 0.5 ? 1 : 0) == labels[i] ? 1.0 : 0).Average();
        Assert.Equal(expectedLoss, results["loss"], 5);
        Assert.Equal(expectedAccuracy, results["accuracy"], 10);
    }

    [Fact]
    public void A_feature_width_that_does_not_match_the_model_is_an_error_naming_both_widths()
    {
        var (features, labels) = TestData.Separable(64, width: 9);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy);

        var error = Assert.Throws<ReplicaFailedException>(() => model.Fit(new ArrayDataset(features, labels).Batch(8), verbose: Verbosity.Silent));

        Assert.Equal(0, error.Replica);
        Assert.Contains("feature width 9", error.Message, StringComparison.Ordinal);
        Assert.Contains("input width is 10", error.Message, StringComparison.Ordinal);
        Assert.Contains("ArrayDataset(64 rows x 9)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_NaN_loss_stops_training_naming_the_epoch_and_step()
    {
        var (features, labels) = TestData.Separable(64);
        features[8 * 5][3] = double.NaN;
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Build(seed: 1).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropyFromLogits);

        var error = Assert.Throws<ReplicaFailedException>(() => model.Fit(new ArrayDataset(features, labels).Batch(8), epochs: 2, verbose: Verbosity.Silent));

        Assert.Contains("NaN or infinite at epoch 1, step 6", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, model.Optimizer!.Iterations);
    }

    [Fact]
    public void Labels_of_the_wrong_shape_are_an_error_before_training()
    {
        var (features, _) = TestData.Separable(16);
        var labels = features.Select(row => new[] { row[0], row[1], row[2] }).ToArray();
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy);

        var error = Assert.Throws<ReplicaFailedException>(() => model.Fit(ArrayDataset.WithLabelRows(features, labels).Batch(8), verbose: Verbosity.Silent));

        Assert.Contains("labels of shape [8, 3]", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    [Fact]
    public void Steps_per_epoch_reads_one_stream_and_running_out_stops_with_a_warning()
    {
        var (features, labels) = TestData.Separable(80);
        var data = new ArrayDataset(features, labels).Batch(8);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);

        var history = model.Fit(data, epochs: 5, stepsPerEpoch: 4, verbose: Verbosity.Silent);

        Assert.Equal([0, 1, 2], history.Epochs);
        Assert.Equal(10, model.Optimizer!.Iterations);
        Assert.True(history.StoppedEarly);
        Assert.Contains("ran out of data in epoch 3", Assert.Single(history.Warnings), StringComparison.Ordinal);
        Assert.Equal(1, data.Reads);
    }

    [Fact]
    public void Steps_per_epoch_equal_to_one_pass_rereads_the_data_each_epoch()
    {
        var (features, labels) = TestData.Separable(80);
        var data = new ArrayDataset(features, labels).Shuffle(3).Batch(8);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);

        var history = model.Fit(data, epochs: 3, stepsPerEpoch: 10, verbose: Verbosity.Silent);

        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(30, model.Optimizer!.Iterations);
        Assert.Equal(3, data.Reads);
        Assert.Empty(history.Warnings);
    }

    [Fact]
    public void An_endlessly_repeating_dataset_needs_steps_per_epoch()
    {
        var (features, labels) = TestData.Separable(16);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);

        var error = Assert.Throws<ReplicaFailedException>(() => model.Fit(new ArrayDataset(features, labels).Batch(8).Repeat(), verbose: Verbosity.Silent));

        Assert.Contains("repeats forever: pass stepsPerEpoch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_data_is_evaluated_at_each_epoch_end()
    {
        var (features, labels) = TestData.Separable(96);
        var train = new ArrayDataset(features[..64], labels[..64]).Batch(16);
        var validation = new ArrayDataset(features[64..], labels[64..]).Batch(16);
        using var model = Sequential.Input(10).Dense(8, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 8)
            .Compile(Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy);

        var history = model.Fit(train, epochs: 2, validation: validation, verbose: Verbosity.Silent);
        var evaluated = model.Evaluate(validation);

        Assert.Equal(["accuracy", "loss", "val_accuracy", "val_loss"], history.Values.Keys.Order());
        Assert.Equal(evaluated["loss"], history["val_loss"][1], 12);
        Assert.Equal(evaluated["accuracy"], history["val_accuracy"][1], 12);
    }

    [Fact]
    public void Fit_stops_when_cancelled_between_steps()
    {
        var (features, labels) = TestData.Separable(64);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        using var cancellation = new CancellationTokenSource();
        var cancelAfterThree = new CancelAt(cancellation, 3);

        Assert.ThrowsAny<OperationCanceledException>(() =>
            model.Fit(new ArrayDataset(features, labels).Batch(8).Repeat(), epochs: 1, stepsPerEpoch: 1000, callbacks: [cancelAfterThree], verbose: Verbosity.Silent, cancellationToken: cancellation.Token));

        Assert.Equal(3, model.Optimizer!.Iterations);
    }

    private sealed class CancelAt(CancellationTokenSource source, long steps) : Mlops.Training.Callbacks.Callback
    {
        public override void OnTrainBatchEnd(long batch, Mlops.Training.Callbacks.TrainingLogs logs)
        {
            if (batch + 1 == steps)
            {
                source.Cancel();
            }
        }
    }
}
