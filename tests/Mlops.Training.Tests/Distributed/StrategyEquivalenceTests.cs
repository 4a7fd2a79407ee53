using System.Runtime.InteropServices;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// The defining property of synchronous data parallelism: N workers with global batch B end where one worker with
/// batch B ends, after the same steps (float64, fixed seed), for SGD and Adam.
/// </summary>
[Collection(StrategyProcessCollection.Name)]
public sealed class StrategyEquivalenceTests : IDisposable
{
    private const int GlobalBatch = 12;
    private const int Steps = 8;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mlops-equivalence-");

    public void Dispose() => _folder.Delete(true);

    [Fact]
    public void Two_and_three_workers_end_with_the_parameters_of_one_worker_for_sgd_and_adam()
    {
        // The three jobs run side by side, each on its own port.
        var jobs = new[] { 1, 2, 3 }.ToDictionary(n => n, n => new StrategyProcesses(n, "strategy-train", ["sgd,adam", $"{GlobalBatch}", $"{Steps}", Prefix(n)]));
        try
        {
            foreach (var job in jobs.Values)
            {
                StrategyCollectivesTests.AssertAllSucceeded(job.WaitAll(TimeSpan.FromSeconds(120)));
            }
        }
        finally
        {
            foreach (var job in jobs.Values)
            {
                job.Dispose();
            }
        }

        foreach (var optimizer in new[] { "sgd", "adam" })
        {
            var single = Read($"{Prefix(1)}-{optimizer}.bin");
            var initial = InitialParametersOfRank0();
            Assert.Equal(initial.Length, single.Length);
            Assert.True(MaxDifference(single, initial) > 0.05, $"{optimizer}: training barely moved the parameters");
            foreach (var workers in new[] { 2, 3 })
            {
                var chief = Read($"{Prefix(workers)}-{optimizer}.bin");
                Assert.True(MaxDifference(chief, single) < 1e-9, $"{optimizer}, {workers} workers: max difference {MaxDifference(chief, single):E2} from one worker");
                for (var rank = 1; rank < workers; rank++)
                {
                    // Every rank took the same steps on the same all-reduced gradients: bit for bit the chief's parameters.
                    Assert.Equal(chief, Read($"{Prefix(workers)}-{optimizer}.rank{rank}.bin"));
                }
            }
        }
    }

    /// <summary>Rank 0's model before training, built here as the worker builds it (seed 7).</summary>
    private static double[] InitialParametersOfRank0()
    {
        TorchRuntime.EnsureInitialized();
        torch.manual_seed(7);
        using var model = nn.Sequential(
            ("hidden", nn.Linear(PlainTrainingLoop.Features, 8, dtype: ScalarType.Float64)),
            ("tanh", nn.Tanh()),
            ("output", nn.Linear(8, 1, dtype: ScalarType.Float64)));
        using var flat = cat(model.parameters().Select(p => p.detach().reshape(-1)).ToArray(), 0);
        return flat.data<double>().ToArray();
    }

    private static double MaxDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static double[] Read(string path) => MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(path)).ToArray();

    private string Prefix(int workers) => Path.Combine(_folder.FullName, $"workers{workers}");
}
