using System.Diagnostics;
using System.Globalization;
using Mlops.Training.Callbacks;
using Mlops.Training;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using Mlops.Distributed.Cluster;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Benchmarks.Training;

/// <summary>
/// The trainer on a GPU: <c>Fit</c> through <see cref="MultiWorkerMirroredStrategy"/> at world size 1 against a plain
/// TorchSharp loop of the same model, batch and data, in one process; <c>tools/gpu/train_reference.py</c> measures
/// PyTorch eager on the same configs with the same method and output lines, and <c>tools/gpu-check.sh run</c> joins both.
///   training-gpu [--device cuda|cpu] [--configs a,b] [--steps 300] [--warmup 50] [--repeats 3]
///                [--max-batch N] [--hidden 4096] [--threads N] [--libtorch DIR]
///   training-cuda-check [--device cuda|cpu] [--libtorch DIR]   (see <see cref="CudaTrainingCheck"/>)
/// Configs: the seed model (10 → 64 relu → 64 relu → 1 sigmoid) at batch 32, 1024 and 65536, and a 35.7M-parameter MLP
/// (512 → 4096 → 4096 → 4096 → 1 sigmoid) at batch 1024 in fp32 and with TF32 matmuls; Adam (lr 1e-3), binary
/// cross-entropy. Method: data made once and put on the device; per config the variants run interleaved (plain, Fit on
/// device data, Fit on host arrays, then again) after <c>--warmup</c> steps each; a timing is <c>--steps</c> steps between
/// two device synchronisations; the median of <c>--repeats</c> timings is reported. <c>--max-batch</c> and
/// <c>--hidden</c> shrink the configs for a CPU smoke run; a libtorch without CUDA fails at once with the trainer's error.
/// </summary>
public static class GpuTrainerBenchmark
{
    private static readonly GpuConfig[] Configs =
    [
        new("seed-b32", Model: "seed", Batch: 32, Tf32: false),
        new("seed-b1024", Model: "seed", Batch: 1024, Tf32: false),
        new("seed-b65536", Model: "seed", Batch: 65536, Tf32: false),
        new("mlp-b1024-fp32", Model: "mlp", Batch: 1024, Tf32: false),
        new("mlp-b1024-tf32", Model: "mlp", Batch: 1024, Tf32: true),
    ];

    /// <summary>Dispatches <c>training-gpu</c> and <c>training-cuda-check</c>.</summary>
    public static int Run(string[] args)
    {
        var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        try
        {
            return args[0] == "training-cuda-check" ? CudaTrainingCheck.Run(options) : Benchmark(options);
        }
        catch (TorchLoadException ex)
        {
            Console.Error.WriteLine($"{args[0]}: {ex.Message}");
            return 3;
        }
    }

    /// <summary>The device named by <c>--device</c> (cuda by default), after loading libtorch; CUDA must be present when asked for.</summary>
    internal static Device InitializeDevice(Dictionary<string, string> options)
    {
        var name = options.GetValueOrDefault("device", "cuda");
        if (name is not ("cuda" or "cpu"))
        {
            throw new ArgumentException($"--device is cuda or cpu, not '{name}'.");
        }

        var cuda = name == "cuda";
        TorchRuntime.EnsureInitialized(new TorchRuntimeOptions { LibTorchDirectory = options.GetValueOrDefault("libtorch"), RequireCuda = cuda });
        return cuda ? torch.device(DeviceType.CUDA, 0) : CPU;
    }

    /// <summary>A world-size-1 strategy on the device (no sockets), seeding torch's CPU and CUDA generators.</summary>
    internal static MultiWorkerMirroredStrategy SingleWorker(Device device, Dictionary<string, string> options, int seed) =>
        MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(), new MultiWorkerMirroredStrategyOptions
        {
            Device = device.type == DeviceType.CUDA ? TrainingDevice.Cuda : TrainingDevice.Cpu,
            LibTorchDirectory = options.GetValueOrDefault("libtorch"),
            Seed = seed,
        });

    internal static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(device);
        }
    }

    private static int Benchmark(Dictionary<string, string> options)
    {
        var device = InitializeDevice(options);
        var steps = Int(options, "steps", 300);
        var warmup = Int(options, "warmup", 50);
        var repeats = Int(options, "repeats", 3);
        var maxBatch = Int(options, "max-batch", 0);
        var hidden = Int(options, "hidden", 4096);
        if (options.TryGetValue("threads", out var threads))
        {
            torch.set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));
        }

        var wanted = options.TryGetValue("configs", out var list) ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Configs.Select(c => c.Name).ToArray();
        var unknown = wanted.Except(Configs.Select(c => c.Name)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown config(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Configs.Select(c => c.Name))}.");
        }

        Console.WriteLine($"# training-gpu: {TorchRuntime.Description}; device {device}; {torch.get_num_threads()} torch thread(s); {warmup} warm-up steps, median of {repeats} x {steps} steps");
        using var strategy = SingleWorker(device, options, seed: 1);
        var rows = new List<GpuResult>();
        var failures = 0;
        foreach (var config in Configs.Where(c => wanted.Contains(c.Name)))
        {
            var shaped = config with { Batch = maxBatch > 0 ? Math.Min(config.Batch, maxBatch) : config.Batch, Hidden = config.Model == "mlp" ? hidden : 64 };
            Console.WriteLine($"[gpu-train] progress: {shaped.Name} (batch {shaped.Batch}) started, {Stopwatch.GetElapsedTime(Started).TotalSeconds:0.0} s");
            try
            {
                rows.Add(RunConfig(shaped, strategy, device, steps, warmup, repeats));
            }
            catch (Exception ex) when (ex is not TorchLoadException)
            {
                // One failing config must not hide the others: the join lists it under failures.
                failures++;
                Console.WriteLine($"[gpu-train] lang=cs config={shaped.Name} error={ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
                Console.WriteLine(ex.StackTrace);
            }
            finally
            {
                if (device.type == DeviceType.CUDA)
                {
                    torch.backends.cuda.matmul.allow_tf32 = false;
                }
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Console.WriteLine();
        Console.WriteLine($"TorchSharp on {device} ({TorchRuntime.Description}); ms/step, median of {repeats} x {steps} steps after {warmup} warm-up steps, synchronised:");
        Console.WriteLine();
        Console.WriteLine("| config | batch | parameters | plain TorchSharp | Fit (data on device) | Fit / plain | Fit (host arrays, prefetch) | Fit host / plain | Fit samples/s |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Config.Name} | {r.Config.Batch} | {r.Parameters:N0} | {r.PlainMs:0.000} | {r.FitDeviceMs:0.000} | {r.FitDeviceMs / r.PlainMs:0.00}x | {r.FitHostMs:0.000} | {r.FitHostMs / r.PlainMs:0.00}x | {r.Config.Batch * 1000.0 / r.FitDeviceMs:N0} |"));
        }

        return failures == 0 ? 0 : 1;
    }

    private static readonly long Started = Stopwatch.GetTimestamp();

    private static GpuResult RunConfig(GpuConfig config, MultiWorkerMirroredStrategy strategy, Device device, int steps, int warmup, int repeats)
    {
        var cuda = device.type == DeviceType.CUDA;
        var width = config.Model == "seed" ? 10 : 512;
        var rowCount = Math.Max(config.Batch * 4, 8192);
        var (features, labels) = PlainTorchLoop.Data(rowCount, width, seed: 7);
        if (cuda)
        {
            torch.backends.cuda.matmul.allow_tf32 = config.Tf32;
        }

        using var hostX = tensor(features, [rowCount, width]);
        using var hostY = tensor(labels, [rowCount, 1]);
        using var x = hostX.to(device);
        using var y = hostY.to(device);
        var batches = Enumerable.Range(0, rowCount / config.Batch)
            .Select(i => (X: x.narrow(0, (long)i * config.Batch, config.Batch), Y: y.narrow(0, (long)i * config.Batch, config.Batch)))
            .ToArray();

        // The reference: what a TorchSharp user writes by hand, seeded on the CPU and CUDA generators.
        strategy.Seed(1);
        var plain = PlainModel(width, config.Hidden, config.Model).to(device);
        var optimizer = optim.Adam(plain.parameters(), lr: 0.001);
        var bce = nn.BCELoss();
        var plainStep = 0;
        void PlainSteps(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var stepScope = NewDisposeScope();
                var (bx, by) = batches[plainStep++ % batches.Length];
                optimizer.zero_grad();
                var loss = bce.call(plain.call(bx), by);
                loss.backward();
                optimizer.step();
            }
        }

        double PlainLoss()
        {
            using var lossScope = NewDisposeScope();
            using var noGrad = no_grad();
            return bce.call(plain.call(batches[0].X), batches[0].Y).item<float>();
        }

        // The trainer: the same layers through the strategy's scope, Keras' Adam and binary cross-entropy.
        strategy.Seed(1);
        var description = Sequential.Input(width);
        description = config.Model == "seed"
            ? description.Dense(64, Activation.Relu).Dense(64, Activation.Relu).Dense(1, Activation.Sigmoid)
            : description.Dense(config.Hidden, Activation.Relu).Dense(config.Hidden, Activation.Relu).Dense(config.Hidden, Activation.Relu).Dense(1, Activation.Sigmoid);
        using var model = strategy.Scope(() => description.Compile(Mlops.Training.Optimizer.Adam(), Loss.BinaryCrossEntropy));
        var onDevice = new DeviceTensorDataset(x, y, config.Batch);
        var onHost = Dataset.FromArrays(features, width, labels).Batch(config.Batch).Repeat().Prefetch(2);
        double fitLoss = double.NaN;
        void FitSteps(Dataset data, int count) => fitLoss = model.Fit(data, epochs: 1, stepsPerEpoch: count, verbose: Verbosity.Silent)["loss"][^1];

        var plainLoss0 = PlainLoss();
        PlainSteps(warmup);
        FitSteps(onDevice, warmup);
        var fitLoss0 = fitLoss;
        FitSteps(onHost, warmup);
        var timings = new double[3][];
        for (var v = 0; v < 3; v++)
        {
            timings[v] = new double[repeats];
        }

        for (var r = 0; r < repeats; r++)
        {
            timings[0][r] = Time(device, steps, () => PlainSteps(steps));
            timings[1][r] = Time(device, steps, () => FitSteps(onDevice, steps));
            timings[2][r] = Time(device, steps, () => FitSteps(onHost, steps));
        }

        var plainLoss1 = PlainLoss();
        var result = new GpuResult(config, model.ParameterCount, Median(timings[0]), Median(timings[1]), Median(timings[2]));
        var dev = cuda ? "cuda" : "cpu";
        string Line(string variant, double[] ms, double loss0, double loss1) => string.Create(
            CultureInfo.InvariantCulture,
            $"[gpu-train] lang=cs config={config.Name} variant={variant} device={dev} batch={config.Batch} tf32={(config.Tf32 ? 1 : 0)} params={model.ParameterCount} steps={steps} repeats={repeats} ms={Median(ms):0.0000} min={ms.Min():0.0000} max={ms.Max():0.0000} loss0={loss0:G5} loss={loss1:G5}");
        Console.WriteLine(Line("plain", timings[0], plainLoss0, plainLoss1));
        Console.WriteLine(Line("fit-device", timings[1], fitLoss0, fitLoss));
        Console.WriteLine(Line("fit-host", timings[2], fitLoss0, fitLoss));
        if (!double.IsFinite(plainLoss1) || !double.IsFinite(fitLoss))
        {
            throw new InvalidOperationException($"{config.Name}: a loss is not finite (plain {plainLoss1}, Fit {fitLoss}).");
        }

        optimizer.Dispose();
        bce.Dispose();
        plain.Dispose();
        foreach (var (bx, by) in batches)
        {
            bx.Dispose();
            by.Dispose();
        }

        return result;
    }

    private static nn.Module<Tensor, Tensor> PlainModel(int width, int hidden, string kind) => kind == "seed"
        ? nn.Sequential(("0", nn.Linear(width, 64)), ("1", nn.ReLU()), ("2", nn.Linear(64, 64)), ("3", nn.ReLU()), ("4", nn.Linear(64, 1)), ("5", nn.Sigmoid()))
        : nn.Sequential(
            ("0", nn.Linear(width, hidden)), ("1", nn.ReLU()), ("2", nn.Linear(hidden, hidden)), ("3", nn.ReLU()),
            ("4", nn.Linear(hidden, hidden)), ("5", nn.ReLU()), ("6", nn.Linear(hidden, 1)), ("7", nn.Sigmoid()));

    // Milliseconds per step of `run`, between two device synchronisations.
    private static double Time(Device device, int steps, Action run)
    {
        Synchronize(device);
        var started = Stopwatch.GetTimestamp();
        run();
        Synchronize(device);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds / steps;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static int Int(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private sealed record GpuConfig(string Name, string Model, int Batch, bool Tf32, int Hidden = 4096);

    private sealed record GpuResult(GpuConfig Config, long Parameters, double PlainMs, double FitDeviceMs, double FitHostMs);
}
