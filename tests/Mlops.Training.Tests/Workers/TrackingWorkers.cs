using Mlops.Training.Data;
using Mlops.Training.Distributed;
using Mlops.Training.Tests.Training;
using Mlops.Training.Tracking;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Workers;

/// <summary>Worker mode <c>tracking-fit database</c>: every rank trains with the same tracking callback, as a user's trainer does.</summary>
internal static class TrackingWorkers
{
    public static int Fit(string[] args)
    {
        using var strategy = StrategyWorkers.Join(MultiWorkerMirroredStrategyOptions.DefaultBucketBytes);
        var (features, labels) = TestData.Separable(40, 4);
        using var model = strategy.Scope(() => Sequential.Input(4, ScalarType.Float64)
            .Dense(1, Activation.Sigmoid)
            .Compile(Optimizer.Sgd(0.1), Loss.BinaryCrossEntropy));
        using var tracking = new TrackingCallback("sqlite:///" + args[0], new TrackingCallbackOptions { ExperimentName = "replicas" });
        model.Fit(Dataset.FromArrays(features, labels).Batch(8), epochs: 2, callbacks: [tracking], verbose: 0);
        if (strategy.IsChief != tracking.Run is not null)
        {
            Console.WriteLine($"UNEXPECTED rank {strategy.Rank} has a run: {tracking.Run is not null}");
            return 1;
        }

        Console.WriteLine("OK");
        return 0;
    }
}
