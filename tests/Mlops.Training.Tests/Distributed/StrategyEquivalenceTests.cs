using System.Globalization;
using System.Runtime.InteropServices;
using Mlops.Training.Runtime;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// The defining property of synchronous data parallelism, through the user's path (strategy scope, Sequential,
/// Compile, Fit) in real worker processes: N workers with global batch B end where one worker with batch B ends
/// (float64, fixed seed, 2 epochs of 9 steps whose last global batch is uneven), for SGD and Adam.
/// </summary>
[Collection(StrategyProcessCollection.Name)]
public sealed class StrategyEquivalenceTests : IDisposable
{
    private const int GlobalBatch = 12;
    private const int Epochs = 2;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mlops-equivalence-");

    public void Dispose() => _folder.Delete(true);

    [Fact]
    public void Two_and_three_workers_end_with_the_parameters_and_losses_of_one_worker_for_sgd_and_adam()
    {
        // The three jobs run side by side, each on its own port.
        var jobs = new[] { 1, 2, 3 }.ToDictionary(n => n, n => new StrategyProcesses(n, "strategy-fit", ["sgd,adam", $"{GlobalBatch}", $"{Epochs}", Prefix(n)]));
        var outputs = new Dictionary<int, string>();
        try
        {
            foreach (var (workers, job) in jobs)
            {
                var results = job.WaitAll(TimeSpan.FromSeconds(120));
                StrategyCollectivesTests.AssertAllSucceeded(results);
                outputs[workers] = string.Join("\n", results.OrderBy(r => r.Key).Select(r => r.Value.Output));
            }
        }
        finally
        {
            foreach (var job in jobs.Values)
            {
                job.Dispose();
            }
        }

        var initial = InitialParametersOfRank0();
        foreach (var optimizer in new[] { "sgd", "adam" })
        {
            var single = Read($"{Prefix(1)}-{optimizer}.bin");
            Assert.Equal(initial.Length, single.Length);
            Assert.True(MaxDifference(single, initial) > 0.05, $"{optimizer}: training barely moved the parameters");
            var singleLoss = Losses(outputs[1], optimizer)[0];
            Assert.True(singleLoss[1] < singleLoss[0], $"{optimizer}: the loss did not fall ({singleLoss[0]} → {singleLoss[1]})");
            foreach (var workers in new[] { 2, 3 })
            {
                var chief = Read($"{Prefix(workers)}-{optimizer}.bin");
                Assert.True(MaxDifference(chief, single) < 1e-9, $"{optimizer}, {workers} workers: max difference {MaxDifference(chief, single):E2} from one worker");
                for (var rank = 1; rank < workers; rank++)
                {
                    // Every rank took the same steps on the same all-reduced gradients: bit for bit the chief's parameters.
                    Assert.Equal(chief, Read($"{Prefix(workers)}-{optimizer}.rank{rank}.bin"));
                }

                // Loss and metrics are reduced over the replicas: every rank reports the single worker's epoch values.
                var ranks = Losses(outputs[workers], optimizer);
                Assert.Equal(workers, ranks.Count);
                foreach (var losses in ranks)
                {
                    Assert.Equal(Epochs, losses.Length);
                    Assert.True(MaxDifference(losses, singleLoss) < 1e-12, $"{optimizer}, {workers} workers: losses {string.Join(", ", losses)} vs {string.Join(", ", singleLoss)}");
                }

                Assert.All(Accuracies(outputs[workers], optimizer), accuracy => Assert.Equal(Accuracies(outputs[1], optimizer)[0], accuracy));
            }
        }
    }

    /// <summary>Rank 0's model before training, built here as the worker builds it (seed 7).</summary>
    private static double[] InitialParametersOfRank0()
    {
        TorchRuntime.EnsureInitialized();
        TorchSharp.torch.manual_seed(7);
        using var model = Sequential.Input(FitScenarios.Width, ScalarType.Float64).Dense(8, Activation.Tanh).Dense(1, Activation.Sigmoid).Build();
        using var weights = model.GetWeights();
        return weights.Parameters.data<double>().ToArray();
    }

    private static List<double[]> Losses(string output, string optimizer) =>
        output.Split('\n')
            .Where(line => line.StartsWith($"HISTORY {optimizer} loss ", StringComparison.Ordinal))
            .Select(line => line.Split(' ').Skip(3).TakeWhile(word => word != "accuracy").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .ToList();

    private static List<string> Accuracies(string output, string optimizer) =>
        output.Split('\n')
            .Where(line => line.StartsWith($"HISTORY {optimizer} loss ", StringComparison.Ordinal))
            .Select(line => line[line.IndexOf(" accuracy ", StringComparison.Ordinal)..].Trim())
            .ToList();

    private static double MaxDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static double[] Read(string path) => MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(path)).ToArray();

    private string Prefix(int workers) => Path.Combine(_folder.FullName, $"workers{workers}");
}
