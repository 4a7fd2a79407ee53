using Mlops.Training.Callbacks;
using Mlops.Training.Runtime;
using Mlops.Training.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Optimizers;

/// <summary>Each optimizer against TorchSharp's torch.optim on the same model and data, in float64.</summary>
public class OptimizerTests
{
    public OptimizerTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<string> Configurations => new()
    {
        "sgd", "sgd-momentum", "sgd-nesterov-decay", "adam", "adam-amsgrad-decay", "adamw", "adamw-amsgrad", "rmsprop", "rmsprop-centered-momentum-decay",
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Follows_torch_optim_step_for_step(string configuration)
    {
        var (features, labels) = TestData.Separable(160);
        var data = new ArrayDataset(features, labels).Shuffle(2).Batch(16).Repeat();
        var (mine, theirs) = Pair(configuration);
        using var model = Sequential.Input(10, ScalarType.Float64).Dense(8, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 9)
            .Compile(mine, Loss.BinaryCrossEntropy);
        using var reference = PlainLoop.CopyOf(model);
        using var optimizer = theirs(reference.parameters());

        model.Fit(data, epochs: 1, stepsPerEpoch: 25, verbose: Verbosity.Silent);
        PlainLoop.Train(reference, optimizer, PlainLoop.Batches(data, ScalarType.Float64, 25));

        var difference = PlainLoop.MaxDifference(model, reference);
        Assert.True(difference < 1e-6, $"{configuration}: parameters differ by {difference}");
        Assert.True(difference < 1e-12, $"{configuration}: parameters differ by {difference} (expected the same arithmetic)");
        Assert.Equal(25, model.Optimizer!.Iterations);
    }

    [Fact]
    public void A_changed_learning_rate_applies_from_the_next_step()
    {
        var (features, labels) = TestData.Separable(64);
        var data = new ArrayDataset(features, labels).Batch(16).Repeat();
        using var model = Sequential.Input(10, ScalarType.Float64).Dense(1, Activation.Sigmoid).Build(seed: 1).Compile(Optimizer.Adam(0.1), Loss.BinaryCrossEntropy);
        using var reference = PlainLoop.CopyOf(model);
        using var optimizer = optim.Adam(reference.parameters(), 0.1, eps: 1e-7);
        var batches = PlainLoop.Batches(data, ScalarType.Float64, 8);

        model.Fit(data, epochs: 1, stepsPerEpoch: 4, verbose: Verbosity.Silent);
        model.Optimizer!.LearningRate = 0.01;
        model.Fit(data, epochs: 2, initialEpoch: 1, stepsPerEpoch: 4, verbose: Verbosity.Silent);
        PlainLoop.Train(reference, optimizer, batches.Take(4));
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = 0.01;
        }

        PlainLoop.Train(reference, optimizer, batches.Skip(4));

        Assert.True(PlainLoop.MaxDifference(model, reference) < 1e-12);
    }

    [Fact]
    public void State_restored_into_a_fresh_optimizer_continues_the_same_trajectory()
    {
        var (features, labels) = TestData.Separable(64);
        var data = new ArrayDataset(features, labels).Batch(16).Repeat();
        using var resumed = Build(Optimizer.Adam(0.05, amsgrad: true));
        resumed.Fit(data, epochs: 1, stepsPerEpoch: 4, verbose: Verbosity.Silent);

        using var restarted = Build(Optimizer.Adam(0.05, amsgrad: true));
        using (var weights = resumed.GetWeights())
        {
            restarted.SetWeights(weights);
        }

        restarted.Optimizer!.Restore(resumed.Optimizer!.Iterations, resumed.Optimizer.State.ToDictionary(entry => entry.Name, entry => entry.Tensor));

        // Restore itself is a copy: every state tensor and the step count arrive bit for bit.
        Assert.Equal(4, restarted.Optimizer.Iterations);
        Assert.Equal(resumed.Optimizer.State.Select(entry => entry.Name), restarted.Optimizer.State.Select(entry => entry.Name));
        foreach (var ((name, saved), (_, restored)) in resumed.Optimizer.State.Zip(restarted.Optimizer.State))
        {
            Assert.True(saved.eq(restored).all().item<bool>(), $"the restored '{name}' differs from the saved one");
        }

        restarted.Fit(data, epochs: 2, initialEpoch: 1, stepsPerEpoch: 4, verbose: Verbosity.Silent);

        // The same two calls on one model, with the optimizer state kept in memory.
        using var again = Build(Optimizer.Adam(0.05, amsgrad: true));
        again.Fit(data, epochs: 1, stepsPerEpoch: 4, verbose: Verbosity.Silent);
        again.Fit(data, epochs: 2, initialEpoch: 1, stepsPerEpoch: 4, verbose: Verbosity.Silent);
        using var a = again.GetWeights();
        using var b = restarted.GetWeights();
        // The steps after it run matrix products again, which the BLAS may round differently from one run to the next.
        Trajectories.AssertSame(a.Parameters, b.Parameters, "resumed vs uninterrupted");
        Assert.Equal(8, restarted.Optimizer.Iterations);
    }

    [Fact]
    public void Hyper_parameters_are_validated_and_reported_by_their_Keras_names()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizer.Adam(beta1: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizer.Sgd(-0.1));
        Assert.Throws<ArgumentException>(() => Optimizer.Sgd(nesterov: true));
        var adam = Optimizer.AdamW(0.002);
        Assert.Equal(0.002, adam.Config["learning_rate"]);
        Assert.Equal(0.004, adam.Config["weight_decay"]);
        Assert.Equal("adamw", adam.Name);
        var copy = Optimizer.FromConfig(adam.Name, adam.Config);
        Assert.Equal(adam.Config, copy.Config);
    }

    [Fact]
    public void One_optimizer_serves_one_model()
    {
        var optimizer = Optimizer.Adam();
        using var first = Sequential.Input(2).Dense(1).Compile(optimizer, Loss.MeanSquaredError);
        using var second = Sequential.Input(2).Dense(1).Build();
        var error = Assert.Throws<InvalidOperationException>(() => second.Compile(optimizer, Loss.MeanSquaredError));
        Assert.Contains("one optimizer per model", error.Message, StringComparison.Ordinal);
    }

    private static Model Build(Optimizer optimizer) =>
        Sequential.Input(10, ScalarType.Float64).Dense(4, Activation.Tanh).Dense(1, Activation.Sigmoid).Build(seed: 3).Compile(optimizer, Loss.BinaryCrossEntropy);

    private static (Optimizer Mine, Func<IEnumerable<TorchSharp.Modules.Parameter>, optim.Optimizer> Theirs) Pair(string configuration) => configuration switch
    {
        "sgd" => (Optimizer.Sgd(0.1), p => optim.SGD(p, 0.1)),
        "sgd-momentum" => (Optimizer.Sgd(0.1, momentum: 0.9), p => optim.SGD(p, 0.1, momentum: 0.9)),
        "sgd-nesterov-decay" => (Optimizer.Sgd(0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01), p => optim.SGD(p, 0.05, momentum: 0.8, weight_decay: 0.01, nesterov: true)),
        "adam" => (Optimizer.Adam(0.01), p => optim.Adam(p, 0.01, eps: 1e-7)),
        "adam-amsgrad-decay" => (Optimizer.Adam(0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, amsgrad: true, weightDecay: 0.01), p => optim.Adam(p, 0.02, 0.8, 0.99, 1e-6, 0.01, amsgrad: true)),
        "adamw" => (Optimizer.AdamW(0.01), p => optim.AdamW(p, 0.01, eps: 1e-7, weight_decay: 0.004)),
        "adamw-amsgrad" => (Optimizer.AdamW(0.01, weightDecay: 0.1, amsgrad: true), p => optim.AdamW(p, 0.01, eps: 1e-7, weight_decay: 0.1, amsgrad: true)),
        "rmsprop" => (Optimizer.RmsProp(0.01), p => optim.RMSProp(p, 0.01, alpha: 0.9, eps: 1e-7)),
        "rmsprop-centered-momentum-decay" => (Optimizer.RmsProp(0.01, rho: 0.95, momentum: 0.5, epsilon: 1e-6, centered: true, weightDecay: 0.01), p => optim.RMSProp(p, 0.01, 0.95, 1e-6, 0.01, 0.5, centered: true)),
        _ => throw new ArgumentException(configuration),
    };
}
