using System.Globalization;
using System.Runtime.InteropServices;
using Mlops.Training.Callbacks;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using Mlops.Training.Tests.Training;
using Mlops.Training.Tests.Workers;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// What a user's trainer does in each worker process: join through the strategy, build and compile the model in its
/// scope, <c>Fit</c> a dataset. Worker modes <c>strategy-fit</c>, <c>strategy-fit-bad</c> and <c>strategy-fit-resume</c>.
/// </summary>
internal static class FitScenarios
{
    public const int Rows = 100;
    public const int Width = 10;

    /// <summary>
    /// <c>optimizers(sgd,adam) globalBatch epochs outPrefix</c>: trains a float64 model on the same data on every rank;
    /// the chief writes <c>outPrefix-opt.bin</c> (parameters), the others <c>outPrefix-opt.rankR.bin</c>; prints the loss history.
    /// </summary>
    public static int Equivalence(string[] args)
    {
        var globalBatch = int.Parse(args[1], CultureInfo.InvariantCulture);
        var epochs = int.Parse(args[2], CultureInfo.InvariantCulture);
        var outPrefix = args[3];
        using var strategy = StrategyWorkers.Join(MultiWorkerMirroredStrategyOptions.DefaultBucketBytes);

        // 100 rows in global batches of 12: the last global batch of each pass (4 rows) leaves some replicas little or
        // nothing. Repeated with steps per epoch, as the seed's trainer reads its data.
        var (features, labels) = TestData.Separable(Rows, Width);
        var stepsPerEpoch = (Rows + globalBatch - 1) / globalBatch;
        var data = Dataset.FromArrays(features, labels).Shuffle(Rows, seed: 11).Batch(globalBatch).Repeat();
        foreach (var name in args[0].Split(','))
        {
            // A different seed on every rank: only Fit's broadcast of rank 0's parameters can make the replicas agree.
            strategy.Seed(7 + strategy.Rank);
            using var model = strategy.Scope(() => Sequential.Input(Width, ScalarType.Float64)
                .Dense(8, Activation.Tanh)
                .Dense(1, Activation.Sigmoid)
                .Compile(name == "sgd" ? Optimizer.Sgd(0.5) : Optimizer.Adam(0.02), Loss.BinaryCrossEntropy, Metric.Accuracy));
            var history = model.Fit(data, epochs: epochs, stepsPerEpoch: stepsPerEpoch, verbose: Verbosity.Silent);
            using var weights = model.GetWeights();
            var parameters = weights.Parameters.data<double>().ToArray();
            var file = strategy.IsChief ? $"{outPrefix}-{name}.bin" : $"{outPrefix}-{name}.rank{strategy.Rank}.bin";
            File.WriteAllBytes(file, MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
            Console.WriteLine($"HISTORY {name} loss {string.Join(" ", history["loss"].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))} accuracy {string.Join(" ", history["accuracy"].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
        }

        Console.WriteLine("OK");
        return 0;
    }

    /// <summary><c>width | nan | indivisible | label folder</c>: one kind of bad input (the folder: Parquet files without a label column).</summary>
    public static int BadInput(string[] args)
    {
        using var strategy = StrategyWorkers.Join(MultiWorkerMirroredStrategyOptions.DefaultBucketBytes);
        var (features, labels) = TestData.Separable(48, Width);
        var globalBatch = 12;
        Dataset data;
        switch (args[0])
        {
            case "width":
                // Only rank 1 was given 9-column features; rank 0's data is fine and must fail all the same.
                data = Dataset.FromArrays(strategy.Rank == 1 ? features.Select(row => row[..9]).ToArray() : features, labels).Batch(globalBatch);
                break;
            case "nan":
                // Row 19 is in rank 1's slice of global batch 1 (rows 18..23 with two workers).
                features[19][3] = double.NaN;
                data = Dataset.FromArrays(features, labels).Batch(globalBatch);
                break;
            case "indivisible":
                data = Dataset.FromArrays(features, labels).Batch(10);
                break;
            case "label":
                data = ParquetDataset.Open(args[1], "features", "label").Batch(globalBatch);
                break;
            default:
                throw new ArgumentException($"unknown bad-input case {args[0]}");
        }

        // A regression model: a NaN feature makes a NaN loss (binary cross-entropy would refuse the NaN prediction first).
        using var model = strategy.Scope(() => Sequential.Input(Width, ScalarType.Float64)
            .Dense(4, Activation.Relu)
            .Dense(1)
            .Compile(Optimizer.Adam(), Loss.MeanSquaredError, Metric.MeanAbsoluteError));
        model.Fit(data, epochs: 2, verbose: Verbosity.Silent);
        Console.WriteLine("UNEXPECTED Fit accepted the input");
        return 1;
    }

    /// <summary>
    /// <c>outPrefix backupDir dieRank</c>: Adam, float64, 3 epochs of 9 steps with <see cref="BackupAndRestore"/> every
    /// 4 steps; in the job's first generation rank <c>dieRank</c> kills itself after step 6 of epoch 2 (mid-epoch,
    /// between backups). Writes the final parameters as <see cref="Equivalence"/> does.
    /// </summary>
    public static int Resume(string[] args)
    {
        var outPrefix = args[0];
        var backup = new BackupAndRestore(args[1], saveEveryBatches: 4);
        var dieRank = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var strategy = StrategyWorkers.Join(MultiWorkerMirroredStrategyOptions.DefaultBucketBytes);
        var (features, labels) = TestData.Separable(Rows, Width);
        var data = Dataset.FromArrays(features, labels).Shuffle(Rows, seed: 5).Batch(12).Repeat();
        strategy.Seed(3);
        using var model = strategy.Scope(() => Sequential.Input(Width, ScalarType.Float64)
            .Dense(8, Activation.Tanh)
            .Dense(1, Activation.Sigmoid)
            .Compile(Optimizer.Adam(0.02), Loss.BinaryCrossEntropy, Metric.Accuracy));
        var killer = new KillAt(strategy, dieRank, epoch: 1, step: 5);
        var history = model.Fit(data, epochs: 3, stepsPerEpoch: 9, callbacks: [backup, killer], verbose: Verbosity.Silent);
        Console.WriteLine($"RESUMED-FROM {(backup.ResumedFrom is { } from ? $"epoch {from.Epoch + 1} step {from.Step}" : "nothing")} (generation {strategy.Cluster.Generation}), epochs logged {string.Join(",", history.Epochs.Select(e => e + 1))}");
        using var weights = model.GetWeights();
        var parameters = weights.Parameters.data<double>().ToArray();
        File.WriteAllBytes(strategy.IsChief ? $"{outPrefix}.bin" : $"{outPrefix}.rank{strategy.Rank}.bin", MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
        Console.WriteLine("OK");
        return 0;
    }

    /// <summary>Kills this process (SIGKILL, no cleanup) after the given step, in the job's first generation only.</summary>
    private sealed class KillAt(MultiWorkerMirroredStrategy strategy, int rank, int epoch, long step) : Callback
    {
        private int _epoch;

        public override void OnEpochBegin(int epoch, TrainingLogs logs) => _epoch = epoch;

        public override void OnTrainBatchEnd(long batch, TrainingLogs logs)
        {
            if (strategy.Cluster.Generation == 0 && strategy.Rank == rank && _epoch == epoch && batch == step)
            {
                Console.WriteLine($"KILLING myself after epoch {_epoch + 1} step {batch + 1}");
                Console.Out.Flush();
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }
        }
    }
}
