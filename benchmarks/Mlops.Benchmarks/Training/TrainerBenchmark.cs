using System.Diagnostics;
using System.Globalization;
using Mlops.Training.Callbacks;
using Mlops.Training;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using Mlops.Distributed.Launch;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Benchmarks.Training;

/// <summary>
/// The trainer against a plain TorchSharp loop of the same model and batch, in one process, and the trainer with two
/// worker processes on the TCP ring.
///   training [--batches 32,1024] [--steps 1500] [--repeats 3] [--threads 2] [--width 10]
///   training-workers [--workers 2] [--batches 32,1024] [--steps 600] [--threads 1]
/// Each configuration runs its variants alternately (plain, Fit, plain, Fit, ...) and reports the best of the repeats.
/// </summary>
public static class TrainerBenchmark
{
    /// <summary>Dispatches the commands.</summary>
    public static int Run(string[] args)
    {
        var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        return args[0] switch
        {
            "training-workers" => Workers(options),
            "training-worker" => Worker(options),
            _ => SingleProcess(options),
        };
    }

    private static int SingleProcess(Dictionary<string, string> options)
    {
        TorchRuntime.EnsureInitialized();
        var threads = Int(options, "threads", 2);
        torch.set_num_threads(threads);
        var steps = Int(options, "steps", 1500);
        var repeats = Int(options, "repeats", 3);
        var width = Int(options, "width", 10);
        Console.WriteLine($"# seed model {width} -> 64 relu -> 64 relu -> 1 sigmoid, Adam, BCE; {threads} torch thread(s), {steps} steps per timing, best of {repeats}; {TorchRuntime.Description}");
        Console.WriteLine("batch | plain TorchSharp (samples/s) | Fit, loss only (samples/s) | ratio (step time) | Fit + accuracy (samples/s) | ratio | Fit + accuracy, prefetch | ratio");
        Console.WriteLine("---:|---:|---:|---:|---:|---:|---:|---:");
        foreach (var batch in Ints(options, "batches", "32,1024"))
        {
            var rows = Math.Max(batch * 64, 65_536);
            var (features, labels) = PlainTorchLoop.Data(rows, width, seed: 7);
            var plainBatches = PlainTorchLoop.Batches(features, labels, width, batch);
            var dataset = Dataset.FromArrays(features, width, labels).Batch(batch).Repeat();
            var best = new double[4];
            Array.Fill(best, double.MaxValue);
            for (var r = 0; r < repeats; r++)
            {
                manual_seed(1);
                using (var plain = PlainTorchLoop.SeedModel(width))
                {
                    PlainTorchLoop.SecondsPerStep(plain, plainBatches, Math.Min(steps, 100));
                    best[0] = Math.Min(best[0], PlainTorchLoop.SecondsPerStep(plain, plainBatches, steps));
                }

                best[1] = Math.Min(best[1], FitSecondsPerStep(dataset, width, steps, accuracy: false));
                best[2] = Math.Min(best[2], FitSecondsPerStep(dataset, width, steps, accuracy: true));
                best[3] = Math.Min(best[3], FitSecondsPerStep(dataset.Prefetch(4), width, steps, accuracy: true));
            }

            foreach (var (x, y) in plainBatches)
            {
                x.Dispose();
                y.Dispose();
            }

            Console.WriteLine($"{batch} | {batch / best[0]:N0} | {batch / best[1]:N0} | {best[1] / best[0]:0.00}x | {batch / best[2]:N0} | {best[2] / best[0]:0.00}x | {batch / best[3]:N0} | {best[3] / best[0]:0.00}x");
        }

        return 0;
    }

    private static double FitSecondsPerStep(Dataset dataset, int width, int steps, bool accuracy)
    {
        manual_seed(1);
        var description = Sequential.Input(width).Dense(64, Activation.Relu).Dense(64, Activation.Relu).Dense(1, Activation.Sigmoid);
        using var model = accuracy
            ? description.Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy, Metric.Accuracy)
            : description.Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy);
        model.Fit(dataset, epochs: 1, stepsPerEpoch: Math.Min(steps, 100), verbose: Verbosity.Silent);
        var watch = Stopwatch.StartNew();
        model.Fit(dataset, epochs: 1, stepsPerEpoch: steps, verbose: Verbosity.Silent);
        return watch.Elapsed.TotalSeconds / steps;
    }

    private static int Workers(Dictionary<string, string> options)
    {
        var workers = Int(options, "workers", 2);
        var threads = Int(options, "threads", 1);
        var steps = Int(options, "steps", 600);
        Console.WriteLine($"# {workers} worker processes on this machine ({Environment.ProcessorCount} cores), ring all-reduce (shared memory between local ranks), {threads} torch thread(s) each, {steps} steps");
        Console.WriteLine("global batch | samples/s (all workers) | step time (ms) | all-reduce share of step time | all-reduce calls per step");
        Console.WriteLine("---:|---:|---:|---:|---:");
        foreach (var batch in Ints(options, "batches", "32,1024"))
        {
            var resultFile = Path.Combine(Path.GetTempPath(), $"mlops-trainer-bench-{Environment.ProcessId}-{batch}.txt");
            var result = new LocalLauncher(LaunchOptions.ForCurrentProgram(
                ["training-worker", "--batch", batch.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture), "--out", resultFile],
                workers)).Run();
            if (!result.Succeeded)
            {
                Console.Error.WriteLine(result.Summary());
                return 1;
            }

            var fields = File.ReadAllText(resultFile).Split(' ');
            File.Delete(resultFile);
            var seconds = double.Parse(fields[0], CultureInfo.InvariantCulture);
            var reduceSeconds = double.Parse(fields[1], CultureInfo.InvariantCulture);
            var calls = double.Parse(fields[2], CultureInfo.InvariantCulture);
            Console.WriteLine($"{batch} | {batch * steps / seconds:N0} | {seconds / steps * 1000:0.000} | {reduceSeconds / seconds:P0} | {calls / steps:0.0}");
        }

        return 0;
    }

    private static int Worker(Dictionary<string, string> options)
    {
        var batch = Int(options, "batch", 32);
        var steps = Int(options, "steps", 600);
        using var strategy = MultiWorkerMirroredStrategy.FromEnvironment(new MultiWorkerMirroredStrategyOptions { Seed = 1 });
        torch.set_num_threads(Int(options, "threads", 1));
        var (features, labels) = PlainTorchLoop.Data(Math.Max(batch * 64, 65_536), 10, seed: 7);
        var dataset = Dataset.FromArrays(features, 10, labels).Batch(batch).Repeat();
        using var model = strategy.Scope(() => Sequential.Input(10).Dense(64, Activation.Relu).Dense(64, Activation.Relu).Dense(1, Activation.Sigmoid)
            .Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy, Metric.Accuracy));
        model.Fit(dataset, epochs: 1, stepsPerEpoch: 50, verbose: Verbosity.Silent);
        var before = strategy.Statistics;
        var watch = Stopwatch.StartNew();
        model.Fit(dataset, epochs: 1, stepsPerEpoch: steps, verbose: Verbosity.Silent);
        var seconds = watch.Elapsed.TotalSeconds;
        var after = strategy.Statistics;
        if (strategy.IsChief)
        {
            File.WriteAllText(options["out"], string.Create(CultureInfo.InvariantCulture, $"{seconds} {(after.AllReduceTime - before.AllReduceTime).TotalSeconds} {after.AllReduceCalls - before.AllReduceCalls}"));
        }

        return 0;
    }

    private static int Int(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static int[] Ints(Dictionary<string, string> options, string name, string fallback) =>
        options.GetValueOrDefault(name, fallback).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
