using Mlops.Training.Distributed;
using Mlops.Training.Distributed.Cluster;
using Mlops.Training.Distributed.Collectives;
using Mlops.Training.Distributed.Nccl;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// The strategy's CUDA path on a one-GPU machine (worker mode <c>strategy-cuda-check</c>; needs a CUDA libtorch through
/// <c>MLOPS_LIBTORCH_DIR</c> and NCCL): a one-rank NCCL communicator under the strategy, so tensor pointers, the default
/// stream and the host staging of statistics and error messages go through NCCL for real; CUDA seeding; and the
/// device choice by local rank. Prints each check; exit code 0 when all pass.
/// </summary>
internal static class CudaStrategyCheck
{
    public static int Run(string[] args)
    {
        TorchRuntime.EnsureInitialized(new TorchRuntimeOptions { RequireCuda = true });
        Console.WriteLine(TorchRuntime.Description);
        using (var chosen = MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess()))
        {
            Check($"auto device is cuda:0 ({chosen.Device}), communication Nccl ({chosen.Communication})", chosen.Device.type == DeviceType.CUDA && chosen.Device.index == 0 && chosen.Communication == CommunicationImplementation.Nccl);
            chosen.Seed(11);
            using var first = randn(1000, device: chosen.Device);
            chosen.Seed(11);
            using var second = randn(1000, device: chosen.Device);
            Check("Seed reseeds the CUDA generator", first.eq(second).all().item<bool>());
        }

        var spec = ClusterSpec.SingleProcess(StrategyProcesses.FreePort());
        var nccl = NcclCommunicator.Create(spec, new DistributedTrainingOptions { CollectiveTimeout = TimeSpan.FromSeconds(20) });
        using var strategy = new MultiWorkerMirroredStrategy(spec, torch.device(DeviceType.CUDA, 0), CommunicationImplementation.Nccl, nccl, bucketBytes: 4096);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            // Written by a kernel just before: the all-reduce, on the same (default) stream, must see the final values.
            using var values = arange(10_007, dtype: type, device: strategy.Device).mul_(3);
            using var expected = arange(10_007, dtype: type, device: strategy.Device).mul_(3);
            strategy.AllReduceSum(values);
            strategy.BroadcastParameters(values);
            Check($"{type} all-reduce and broadcast over {strategy.Statistics.AllReduceCalls} call(s), 10,007 elements in 4 KiB buckets", values.eq(expected).all().item<bool>());
        }

        Span<double> stats = [1.5, 2.5, -3];
        strategy.AllReduceSum(stats);
        Check("host statistics staged through the device", stats[0] == 1.5 && stats[1] == 2.5 && stats[2] == -3);
        strategy.AgreeOnErrors(null, "nobody fails");
        try
        {
            strategy.AgreeOnErrors("NaN loss at step 4 (batch 4 of epoch 1)", "step 4");
            Check("AgreeOnErrors throws", false);
        }
        catch (ReplicaFailedException ex)
        {
            Check($"AgreeOnErrors carries the message through NCCL: {ex.Message}", ex.Message == "rank 0, step 4: NaN loss at step 4 (batch 4 of epoch 1)");
        }

        using var onCpu = zeros(3);
        try
        {
            strategy.AllReduceSum(onCpu);
            Check("a CPU tensor is refused", false);
        }
        catch (ArgumentException ex)
        {
            Check($"a CPU tensor is refused: {ex.Message}", ex.Message.Contains("is on cpu", StringComparison.OrdinalIgnoreCase));
        }

        Console.WriteLine(_failures == 0 ? "OK all CUDA checks passed" : $"FAILED {_failures} check(s)");
        return _failures == 0 ? 0 : 1;
    }

    private static int _failures;

    private static void Check(string what, bool passed)
    {
        Console.WriteLine($"{(passed ? "ok  " : "FAIL")} {what}");
        if (!passed)
        {
            _failures++;
        }
    }
}
