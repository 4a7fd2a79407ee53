using System.Globalization;
using System.Runtime.InteropServices;
using Mlops.Training.Distributed;
using Mlops.Distributed.Collectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Workers;

/// <summary>
/// Worker modes of the strategy's multi-process tests. Each joins the job of its environment (torchrun variables set by
/// the test or the launcher) through <see cref="MultiWorkerMirroredStrategy.FromEnvironment"/>, as a real trainer does,
/// prints what the test checks, and returns an exit code: 0 done, 1 a check failed, 3 a <see cref="ReplicaFailedException"/>,
/// 4 a <see cref="CollectiveException"/>, 5 another <see cref="MlopsException"/> or an <see cref="ArgumentException"/>.
/// </summary>
internal static class StrategyWorkers
{
    public const string TimeoutVariable = "MLOPS_TEST_COLLECTIVE_TIMEOUT_MS";

    /// <summary>Every rank seeds differently, broadcasts; writes before/after values as raw bytes: <c>outDir bucketBytes</c>.</summary>
    public static int Broadcast(string[] args) => Run(() =>
    {
        var folder = args[0];
        using var strategy = Join(int.Parse(args[1], CultureInfo.InvariantCulture));
        strategy.Seed(100 + strategy.Rank);
        foreach (var (type, size) in new[] { (ScalarType.Float32, 1000), (ScalarType.Float64, 333), (ScalarType.Float64, 1) })
        {
            using var values = randn(size, dtype: type);
            var name = $"{type}-{size}-rank{strategy.Rank}";
            File.WriteAllBytes(Path.Combine(folder, $"before-{name}.bin"), Bytes(values));
            strategy.BroadcastParameters(values);
            File.WriteAllBytes(Path.Combine(folder, $"after-{name}.bin"), Bytes(values));
        }

        Console.WriteLine("OK");
        return 0;
    });

    /// <summary>Sums known values of sizes around the bucket boundaries and checks them exactly: <c>bucketBytes</c>.</summary>
    public static int AllReduce(string[] args) => Run(() =>
    {
        var bucketBytes = int.Parse(args[0], CultureInfo.InvariantCulture);
        using var strategy = Join(bucketBytes);
        var n = strategy.NumReplicasInSync;
        var checkedTensors = 0;
        long bytes = 0;
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var perBucket = bucketBytes / (type == ScalarType.Float32 ? 4 : 8);
            foreach (var size in new[] { 0, 1, perBucket - 1, perBucket, perBucket + 1, (3 * perBucket) + 7 })
            {
                // Quarters and small integers: every partial sum is exact in float32, so the check is exact.
                var mine = Enumerable.Range(0, size).Select(i => ((strategy.Rank + 1) * (i % 101)) + (0.25 * strategy.Rank)).ToArray();
                var expected = Enumerable.Range(0, size).Select(i => Enumerable.Range(0, n).Sum(r => ((r + 1) * (i % 101)) + (0.25 * r))).ToArray();
                using var tensor = torch.tensor(mine, dtype: type);
                strategy.AllReduceSum(tensor);
                using var asDouble = tensor.to_type(ScalarType.Float64);
                var actual = asDouble.data<double>().ToArray();
                for (var i = 0; i < size; i++)
                {
                    if (actual[i] != expected[i])
                    {
                        Console.WriteLine($"MISMATCH {type} size {size} index {i}: {actual[i]} != {expected[i]}");
                        return 1;
                    }
                }

                checkedTensors++;
                bytes += size * (type == ScalarType.Float32 ? 4 : 8);
            }
        }

        // A 2-D tensor is one contiguous buffer too.
        using (var matrix = full(3, 5, strategy.Rank + 1.0, dtype: ScalarType.Float64))
        {
            strategy.AllReduceSum(matrix);
            var total = n * (n + 1) / 2.0;
            if (matrix.data<double>().ToArray().Any(v => v != total))
            {
                Console.WriteLine("MISMATCH matrix");
                return 1;
            }

            checkedTensors++;
            bytes += 15 * 8;
        }

        Span<double> stats = [strategy.Rank, 1, -0.5 * strategy.Rank];
        strategy.AllReduceSum(stats);
        var rankSum = n * (n - 1) / 2.0;
        if (stats[0] != rankSum || stats[1] != n || stats[2] != -0.5 * rankSum)
        {
            Console.WriteLine($"MISMATCH stats {stats[0]} {stats[1]} {stats[2]}");
            return 1;
        }

        var statistics = strategy.Statistics;
        if (statistics.AllReduceCalls != checkedTensors || statistics.BytesReduced != bytes || statistics.AllReduceTime <= TimeSpan.Zero)
        {
            Console.WriteLine($"MISMATCH statistics {statistics} (expected {checkedTensors} calls, {bytes} bytes)");
            return 1;
        }

        // Refused locally, before any collective, so the ranks stay in step.
        using var matrixT = ones(4, 6, dtype: ScalarType.Float32).t();
        Console.WriteLine("NONCONTIGUOUS " + Refusal(() => strategy.AllReduceSum(matrixT)));
        using var halves = ones(4, dtype: ScalarType.Int16);
        Console.WriteLine("INT16 " + Refusal(() => strategy.AllReduceSum(halves)));

        strategy.Barrier();
        Console.WriteLine($"OK checked {checkedTensors} tensors");
        return 0;
    });

    /// <summary>The ranks in <c>failingRanks</c> (comma-separated) report a problem; every rank prints what it threw.</summary>
    public static int Agree(string[] args) => Run(() =>
    {
        var failing = args[0].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToHashSet();
        var longMessage = args.Length > 1 && args[1] == "long";
        using var strategy = Join(MultiWorkerMirroredStrategyOptions.DefaultBucketBytes);
        strategy.AgreeOnErrors(null, "a check nobody fails");
        string? problem = null;
        if (failing.Contains(strategy.Rank))
        {
            problem = longMessage
                ? $"rank {strategy.Rank} says: " + new string('é', 3000)
                : $"feature width 7 does not match the model's input width 10 (data/part-{strategy.Rank}.parquet)";
        }

        strategy.AgreeOnErrors(problem, "input check before epoch 1");
        Console.WriteLine("OK nobody failed");
        return 0;
    });

    /// <summary><c>dyingRank</c> exits abruptly once everyone joined; the others all-reduce and print the error.</summary>
    public static int Die(string[] args) => Run(() =>
    {
        var dying = int.Parse(args[0], CultureInfo.InvariantCulture);
        using var strategy = Join(MultiWorkerMirroredStrategyOptions.DefaultBucketBytes);
        using var gradients = ones(10_000, dtype: ScalarType.Float32);
        strategy.AllReduceSum(gradients);
        if (strategy.Rank == dying)
        {
            Console.Out.Flush();
            Environment.Exit(9);
        }

        strategy.AllReduceSum(gradients);
        Console.WriteLine("UNEXPECTED the all-reduce completed without rank " + dying);
        return 1;
    });

    internal static MultiWorkerMirroredStrategy Join(int bucketBytes)
    {
        torch.set_num_threads(1);
        var timeout = TimeSpan.FromMilliseconds(int.Parse(Environment.GetEnvironmentVariable(TimeoutVariable) ?? "20000", CultureInfo.InvariantCulture));
        return MultiWorkerMirroredStrategy.FromEnvironment(new MultiWorkerMirroredStrategyOptions
        {
            Device = TrainingDevice.Cpu,
            BucketBytes = bucketBytes,
            Collectives = new() { CollectiveTimeout = timeout, ConnectTimeout = TimeSpan.FromSeconds(30), PieceBytes = 4096, InlineBytes = 1024 },
        });
    }

    /// <summary>Trains through the strategy scope and <c>Fit</c>; see <see cref="Distributed.FitScenarios.Equivalence"/>.</summary>
    public static int Fit(string[] args) => Run(() => Distributed.FitScenarios.Equivalence(args));

    /// <summary>A killed worker and <c>BackupAndRestore</c>; see <see cref="Distributed.FitScenarios.Resume"/>.</summary>
    public static int FitResume(string[] args) => Run(() => Distributed.FitScenarios.Resume(args));

    /// <summary>Bad input given to <c>Fit</c>; see <see cref="Distributed.FitScenarios.BadInput"/>.</summary>
    public static int FitBadInput(string[] args) => Run(() => Distributed.FitScenarios.BadInput(args));

    private static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ReplicaFailedException ex)
        {
            Console.WriteLine($"REPLICA-FAILED|{ex.Replica}|{ex.Stage}|{ex.Message}");
            return 3;
        }
        catch (CollectiveException ex)
        {
            Console.WriteLine($"COLLECTIVE-FAILED|{ex.GetType().Name}|{ex.FaultyRank}|{ex.Message}");
            return 4;
        }
        catch (Exception ex) when (ex is MlopsException or ArgumentException)
        {
            Console.WriteLine($"ERROR|{ex.GetType().Name}|{ex.Message}");
            return 5;
        }
    }

    private static string Refusal(Action action)
    {
        try
        {
            action();
            return "accepted";
        }
        catch (ArgumentException ex)
        {
            return "refused: " + ex.Message;
        }
    }

    private static byte[] Bytes(Tensor tensor) => tensor.dtype == ScalarType.Float32
        ? MemoryMarshal.AsBytes(tensor.data<float>().ToArray().AsSpan()).ToArray()
        : MemoryMarshal.AsBytes(tensor.data<double>().ToArray().AsSpan()).ToArray();
}
