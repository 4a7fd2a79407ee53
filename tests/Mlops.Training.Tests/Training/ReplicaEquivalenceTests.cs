using Mlops.Training.Callbacks;
using Mlops.Training.Distributed;
using Mlops.Training.Runtime;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Training;

/// <summary>The replica logic of the loop with replicas as threads of this process (worker processes are the strategy's tests).</summary>
public class ReplicaEquivalenceTests
{
    public ReplicaEquivalenceTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<string, int> Cases => new()
    {
        { "sgd", 2 }, { "sgd", 3 }, { "adam", 2 }, { "adam", 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Replicas_end_with_the_parameters_of_one_worker_on_the_global_batch(string optimizer, int replicas)
    {
        // 100 rows in global batches of 12: the last batch (4 rows) leaves some replicas an empty slice.
        var (features, labels) = TestData.Separable(100);
        var data = new ArrayDataset(features, labels).Shuffle(11).Batch(12);
        var alone = Train(data, optimizer, null);

        var group = new ThreadReplicaGroup(replicas);
        var together = group.Run(_ => Train(data, optimizer, group));

        foreach (var (parameters, loss) in together)
        {
            Assert.True(MaxDifference(alone.Parameters, parameters) < 1e-12, $"replica parameters differ by {MaxDifference(alone.Parameters, parameters)}");
            Assert.Equal(alone.Loss, loss, 12);
        }
    }

    [Fact]
    public void Uneven_local_data_keeps_every_replica_stepping_until_all_are_done()
    {
        // File-like sharding: replica r reads rows i % 2 == r in local batches of 4; 45 rows leave replica 1 a batch short.
        var (features, labels) = TestData.Separable(45);
        var data = new ArrayDataset(features, labels).Batch(8).FileLike();
        var group = new ThreadReplicaGroup(2);

        var results = group.Run(_ =>
        {
            using var model = Build();
            var history = model.Fit(data, epochs: 2, verbose: Verbosity.Silent);
            return (Parameters: model.Flat.Values.clone(), Steps: model.Optimizer!.Iterations, history.Epochs.Count);
        });

        Assert.Equal(results[0].Steps, results[1].Steps);
        Assert.Equal(2 * 6, results[0].Steps);
        Assert.Equal(2, results[1].Count);
        Assert.True(MaxDifference(results[0].Parameters, results[1].Parameters) == 0);
    }

    [Fact]
    public void A_global_batch_not_divisible_by_the_replicas_fails_on_every_replica()
    {
        var (features, labels) = TestData.Separable(40);
        var data = new ArrayDataset(features, labels).Batch(9);
        var group = new ThreadReplicaGroup(2);

        var error = Assert.Throws<AggregateException>(() => group.Run(_ =>
        {
            using var model = Build();
            return model.Fit(data, verbose: Verbosity.Silent);
        }));

        Assert.Equal(2, error.InnerExceptions.Count);
        Assert.All(error.InnerExceptions, inner =>
        {
            var failure = Assert.IsType<ReplicaFailedException>(inner);
            Assert.Contains("global batch size 9 is not divisible by the 2 replicas", failure.Message, StringComparison.Ordinal);
        });
        Assert.Equal(0, group.AllReduceCalls);
    }

    [Fact]
    public void A_NaN_on_one_replica_fails_every_replica_naming_that_replica()
    {
        var (features, labels) = TestData.Separable(64);
        features[(8 * 2) + 6][0] = double.NaN;
        var data = new ArrayDataset(features, labels).Batch(8);
        var group = new ThreadReplicaGroup(2);

        var error = Assert.Throws<AggregateException>(() => group.Run(_ =>
        {
            using var model = Build();
            return model.Fit(data, verbose: Verbosity.Silent);
        }));

        Assert.All(error.InnerExceptions, inner =>
        {
            var failure = Assert.IsType<ReplicaFailedException>(inner);
            Assert.Equal(1, failure.Replica);
            Assert.Contains("NaN or infinite at epoch 1, step 3", failure.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Evaluation_and_validation_combine_every_replica_share_into_the_global_result()
    {
        var (features, labels) = TestData.Separable(90);
        var train = new ArrayDataset(features[..60], labels[..60]).Batch(12);
        var validation = new ArrayDataset(features[60..], labels[60..]).Batch(6);
        using var alone = Build();
        var aloneHistory = alone.Fit(train, epochs: 2, validation: validation, verbose: Verbosity.Silent);
        var aloneResults = alone.Evaluate(validation);

        var group = new ThreadReplicaGroup(3);
        var results = group.Run(_ =>
        {
            using var model = Build();
            var history = model.Fit(train, epochs: 2, validation: validation, verbose: Verbosity.Silent);
            return (History: history, Evaluated: model.Evaluate(validation));
        });

        foreach (var (history, evaluated) in results)
        {
            Assert.Equal(aloneHistory["val_loss"][1], history["val_loss"][1], 12);
            Assert.Equal(aloneHistory["val_accuracy"][1], history["val_accuracy"][1], 12);
            Assert.Equal(aloneResults["loss"], evaluated["loss"], 12);
            Assert.Equal(aloneResults["accuracy"], evaluated["accuracy"], 12);
        }
    }

    [Fact]
    public void Batch_norm_statistics_are_averaged_so_replicas_stay_identical()
    {
        var (features, labels) = TestData.Separable(64);
        var data = new ArrayDataset(features, labels).Batch(16);
        var group = new ThreadReplicaGroup(2);

        var buffers = group.Run(_ =>
        {
            using var model = Sequential.Input(10, ScalarType.Float64).Dense(4).BatchNorm().Activate(Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 3)
                .Compile(Optimizer.Adam(0.01), Loss.BinaryCrossEntropy);
            model.Fit(data, epochs: 2, verbose: Verbosity.Silent);
            return (Buffers: model.Flat.Buffers!.clone(), Parameters: model.Flat.Values.clone());
        });

        Assert.True(buffers[0].Buffers.eq(buffers[1].Buffers).all().item<bool>());
        Assert.True(buffers[0].Parameters.eq(buffers[1].Parameters).all().item<bool>());

        // They ride in the gradients' all-reduce: still one collective per step (4 steps x 2 epochs).
        Assert.Equal(8, group.AllReduceCalls);
    }

    [Fact]
    public void A_single_replica_trains_without_any_collective()
    {
        var (features, labels) = TestData.Separable(64);
        var group = new ThreadReplicaGroup(1);

        group.Run(_ =>
        {
            using var model = Build();
            return model.Fit(new ArrayDataset(features, labels).Batch(16), epochs: 2, verbose: Verbosity.Silent);
        });

        Assert.Equal(0, group.AllReduceCalls);
    }

    private static Model Build() =>
        Sequential.Input(10, ScalarType.Float64).Dense(6, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 21)
            .Compile(Optimizer.Sgd(0.1), Loss.BinaryCrossEntropyFromLogits, Metric.Accuracy);

    private static (Tensor Parameters, double Loss) Train(ArrayDataset data, string optimizer, ThreadReplicaGroup? group)
    {
        // Replicas other than the chief start from different weights: the broadcast must fix that.
        var seed = 31 + (group is null ? 0 : ReplicaScope.Current!.ReplicaId);
        using var model = Sequential.Input(10, ScalarType.Float64).Dense(6, Activation.Relu).Dense(6, Activation.Tanh).Dense(1, Activation.Sigmoid)
            .Build(seed: group is null ? 31 : seed)
            .Compile(optimizer == "adam" ? Optimizer.Adam(0.01) : Optimizer.Sgd(0.1, momentum: 0.9), Loss.BinaryCrossEntropy, Metric.Accuracy, Metric.Auc);
        var history = model.Fit(data, epochs: 3, verbose: Verbosity.Silent);
        return (model.Flat.Values.clone(), history["loss"][^1]);
    }

    private static double MaxDifference(Tensor a, Tensor b)
    {
        using var difference = (a - b).abs().max();
        return difference.item<double>();
    }
}
