using Mlops.Training.Callbacks;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using Dataset = Mlops.Training.Data.Dataset;

namespace Mlops.Training.Tests.Training;

/// <summary>How Fit reads the library's datasets into epochs (Keras semantics on pass-numbered data).</summary>
public class EpochTests
{
    public EpochTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Each_epoch_of_a_finite_dataset_is_its_next_pass_with_its_own_shuffle()
    {
        var (features, labels) = TestData.Separable(96);
        var data = Dataset.FromArrays(features, labels).Shuffle(96, seed: 5).Batch(16);
        using var model = Build();
        using var reference = PlainLoop.CopyOf(model);
        using var optimizer = optim.SGD(reference.parameters(), 0.1);

        var history = model.Fit(data, epochs: 3, verbose: Verbosity.Silent);
        PlainLoop.Train(reference, optimizer, PlainLoop.Batches(data.Repeat(), ScalarType.Float64, 18));

        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(18, model.Optimizer!.Iterations);
        Assert.True(PlainLoop.MaxDifference(model, reference) < 1e-12);
        var first = PlainLoop.Batches(data.Repeat(), ScalarType.Float64, 7);
        Assert.False(first[0].Features.eq(first[6].Features).all().item<bool>(), "the second pass was not reshuffled");
    }

    [Fact]
    public void An_epoch_of_a_repeated_dataset_spans_all_its_passes()
    {
        var (features, labels) = TestData.Separable(40);
        var data = Dataset.FromArrays(features, labels).Batch(8).Repeat(2);
        using var model = Build();

        var history = model.Fit(data, epochs: 2, verbose: Verbosity.Silent);

        Assert.Equal(2, history.Epochs.Count);
        Assert.Equal(2 * 2 * 5, model.Optimizer!.Iterations);
    }

    [Fact]
    public void Steps_per_epoch_on_a_repeated_dataset_continue_one_stream_across_epochs()
    {
        var (features, labels) = TestData.Separable(40);
        var data = Dataset.FromArrays(features, labels).Shuffle(40, seed: 1).Batch(8).Repeat();
        using var model = Build();
        using var reference = PlainLoop.CopyOf(model);
        using var optimizer = optim.SGD(reference.parameters(), 0.1);

        model.Fit(data, epochs: 3, stepsPerEpoch: 3, verbose: Verbosity.Silent);
        PlainLoop.Train(reference, optimizer, PlainLoop.Batches(data, ScalarType.Float64, 9));

        Assert.True(PlainLoop.MaxDifference(model, reference) < 1e-12);
    }

    [Fact]
    public void A_finite_dataset_shorter_than_the_steps_asked_for_stops_with_Keras_warning()
    {
        var (features, labels) = TestData.Separable(40);
        using var model = Build();

        var history = model.Fit(Dataset.FromArrays(features, labels).Batch(8), epochs: 4, stepsPerEpoch: 2, verbose: Verbosity.Silent);

        Assert.Equal([0, 1, 2], history.Epochs);
        Assert.Equal(5, model.Optimizer!.Iterations);
        Assert.Contains("Your input ran out of data", Assert.Single(history.Warnings), StringComparison.Ordinal);
    }

    private static Model Build() =>
        Sequential.Input(10, ScalarType.Float64).Dense(4, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 12).Compile(Optimizer.Sgd(0.1), Loss.BinaryCrossEntropy);
}
