using System.Net;
using System.Net.Sockets;
using Mlops.Training.Callbacks;
using Mlops.Training;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Distributed.Nccl;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Benchmarks.Training;

/// <summary>
/// The trainer's CUDA path on a one-GPU machine (command <c>training-cuda-check</c>; the GPU machine runs it from the
/// benchmarks bundle, whose libtorch is the machine's own, through <c>MLOPS_LIBTORCH_DIR</c>). Each section prints
/// <c>ok</c>/<c>FAIL</c> lines and a failing section does not stop the next; the exit code is 0 when all pass.
///   1. the public strategy on CUDA: device cuda:0, NCCL chosen, Seed reseeds the CUDA generator; TF32 really changes matmuls
///   2. a one-rank NCCL communicator under the strategy: all-reduce and broadcast of device tensors in small buckets,
///      host statistics and error messages staged through the device, a CPU tensor refused
///   3. Fit of the seed model under the NCCL strategy: rank 0's broadcast leaves the parameters equal, the loss falls
///   4. float64: Fit on CUDA equals Fit on the CPU from the same initial weights; data already on the device equals host
///      arrays; two replicas (threads sharing the GPU) with global batch B equal one replica with batch B
///   5. Save and Load on CUDA: the reloaded model is on CUDA with equal weights and predictions; loaded outside any
///      scope it is on the CPU with the same predictions; the reloaded model trains on
/// With <c>--device cpu</c> the same checks run on the CPU (the NCCL ones are skipped), to exercise them without a GPU.
/// </summary>
internal static class CudaTrainingCheck
{
    private const int Steps = 24;
    private static int _failures;

    public static int Run(Dictionary<string, string> options)
    {
        var device = GpuTrainerBenchmark.InitializeDevice(options);
        var cuda = device.type == DeviceType.CUDA;
        Console.WriteLine($"training-cuda-check: {TorchRuntime.Description}; TorchSharp {typeof(torch).Assembly.GetName().Version}; device {device}");
        Section("1. strategy on the device", () => PublicStrategy(device, options));
        if (cuda)
        {
            Section("2. one-rank NCCL under the strategy", Nccl);
        }
        else
        {
            Console.WriteLine("--- 2. skipped: NCCL needs CUDA (section 3 runs under a single-worker strategy)");
        }

        Section("3. Fit of the seed model (NCCL strategy on CUDA, single worker on the CPU)", () => FitUnderStrategy(device, options));
        Section("4. float64 equivalences", () => Equivalences(device));
        Section("5. Save and Load", () => SaveAndLoad(device, options));
        Console.WriteLine(_failures == 0 ? "OK all CUDA training checks passed" : $"FAILED {_failures} check(s)");
        return _failures == 0 ? 0 : 1;
    }

    private static void PublicStrategy(Device device, Dictionary<string, string> options)
    {
        using var strategy = GpuTrainerBenchmark.SingleWorker(device, options, seed: 11);
        var cuda = device.type == DeviceType.CUDA;
        Check($"device {strategy.Device}, backend {strategy.Backend}", cuda
            ? strategy.Device.type == DeviceType.CUDA && strategy.Device.index == 0 && strategy.Backend == CollectiveBackend.Nccl
            : strategy.Device.type == DeviceType.CPU && strategy.Backend == CollectiveBackend.Ring);
        strategy.Seed(11);
        using var first = randn(1000, device: strategy.Device);
        strategy.Seed(11);
        using var second = randn(1000, device: strategy.Device);
        Check($"Seed reseeds the {device.type} generator", Same(first, second));
        if (!cuda)
        {
            return;
        }

        using var a = randn(512, 512, device: device);
        using var b = randn(512, 512, device: device);
        bool flagRead;
        float difference;
        try
        {
            torch.backends.cuda.matmul.allow_tf32 = false;
            using var full = a.matmul(b);
            torch.backends.cuda.matmul.allow_tf32 = true;
            flagRead = torch.backends.cuda.matmul.allow_tf32;
            using var tf32 = a.matmul(b);
            using var gap = (full - tf32).abs().max();
            difference = gap.item<float>();
        }
        finally
        {
            // The later sections compare CUDA with the CPU in full precision.
            torch.backends.cuda.matmul.allow_tf32 = false;
        }

        Check($"TF32 matmuls are on when allowed (flag reads {flagRead}; max |fp32 - tf32| = {difference:G3} on 512x512)", flagRead && difference > 0 && difference < 1);
    }

    private static void Nccl()
    {
        var spec = ClusterSpec.SingleProcess(FreePort());
        var nccl = NcclCommunicator.Create(spec, new CollectiveOptions { CollectiveTimeout = TimeSpan.FromSeconds(20), ConnectTimeout = TimeSpan.FromSeconds(20) });
        using var strategy = new MultiWorkerMirroredStrategy(spec, torch.device(DeviceType.CUDA, 0), CollectiveBackend.Nccl, nccl, bucketBytes: 4096);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            // Written by a kernel just before: the collective, on the same (default) stream, must see the final values.
            using var values = arange(10_007, dtype: type, device: strategy.Device).mul_(3);
            using var expected = arange(10_007, dtype: type, device: strategy.Device).mul_(3);
            strategy.AllReduceSum(values);
            strategy.BroadcastParameters(values);
            Check($"{type} all-reduce and broadcast, 10,007 elements in 4 KiB buckets ({strategy.Statistics.AllReduceCalls} all-reduce calls so far)", Same(values, expected));
        }

        Span<double> statistics = [1.5, 2.5, -3];
        strategy.AllReduceSum(statistics);
        Check("host statistics staged through the device", statistics[0] == 1.5 && statistics[1] == 2.5 && statistics[2] == -3);
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
    }

    private static void FitUnderStrategy(Device device, Dictionary<string, string> options)
    {
        var cuda = device.type == DeviceType.CUDA;
        var spec = ClusterSpec.SingleProcess(FreePort());
        using var strategy = cuda
            ? new MultiWorkerMirroredStrategy(spec, device, CollectiveBackend.Nccl, NcclCommunicator.Create(spec, new CollectiveOptions { CollectiveTimeout = TimeSpan.FromSeconds(20) }), MultiWorkerMirroredStrategyOptions.DefaultBucketBytes)
            : GpuTrainerBenchmark.SingleWorker(device, options, seed: 3);
        using var model = strategy.Scope(() => SeedModel(ScalarType.Float32).Build(seed: 5).Compile(Mlops.Training.Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy));
        Check($"the model built in the scope is on {model.Device}", model.Device.type == device.type && model.NamedTensors().All(t => t.Tensor.device_type == device.type));
        using var before = model.GetWeights();
        using (no_grad())
        {
            strategy.BroadcastParameters(model.Flat.Values);
        }

        using var after = model.GetWeights();
        Check($"parameters equal after rank 0's broadcast of the flat buffer ({model.ParameterCount} values)", Same(before.Parameters, after.Parameters));
        var (features, labels) = PlainTorchLoop.Data(4096, 10, seed: 3);
        var history = model.Fit(Dataset.FromArrays(features, 10, labels).Batch(64), epochs: 4, verbose: Verbosity.Silent);
        var losses = history["loss"];
        var accuracy = history["accuracy"];
        Console.WriteLine($"     loss by epoch {string.Join(", ", losses.Select(l => l.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)))}; accuracy {string.Join(", ", accuracy.Select(a => a.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))}");
        Check("Fit: 4 epochs of 64 steps, the loss is finite and falls, accuracy rises above 0.8", losses.All(double.IsFinite) && losses[^1] < losses[0] && accuracy[^1] > 0.8);
        Check($"Fit kept the parameters on {device.type}", model.NamedTensors().All(t => t.Tensor.device_type == device.type));
    }

    private static void Equivalences(Device device)
    {
        var (features, labels) = PlainTorchLoop.Data(2048, 10, seed: 9);
        var wideFeatures = features.Select(v => (double)v).ToArray();
        var wideLabels = labels.Select(v => (double)v).ToArray();
        var hostData = Dataset.FromArrays(wideFeatures, 10, wideLabels).Batch(64).Repeat();

        using var onCpu = TrainFloat64(CPU, null, hostData);
        using var onDevice = TrainFloat64(device, null, hostData);
        var difference = MaxDifference(onCpu, onDevice);
        Check($"float64 Fit on {device} equals Fit on the CPU after {Steps} Adam steps (max |difference| {difference:G3})", difference < 1e-7);

        using var x = tensor(wideFeatures, [2048, 10]).to(device);
        using var y = tensor(wideLabels, [2048, 1]).to(device);
        using var fromDevice = TrainFloat64(device, null, new DeviceTensorDataset(x, y, 64));
        difference = MaxDifference(onDevice, fromDevice);
        Check($"data already on the device trains as host arrays do (max |difference| {difference:G3})", difference < 1e-12);

        var replicas = new ThreadReplicaGroup(2, device);
        var perReplica = replicas.Run(_ => TrainFloat64(device, ReplicaScope.Current, hostData));
        difference = Math.Max(MaxDifference(onDevice, perReplica[0]), MaxDifference(perReplica[0], perReplica[1]));
        foreach (var weights in perReplica)
        {
            weights.Dispose();
        }

        Check($"2 replicas on {device} (threads, global batch 64) equal 1 replica (max |difference| {difference:G3})", difference < 1e-7);
    }

    // Builds the seed model in float64 from fixed initial weights in the given replica context (null: a local one on
    // `device`), trains `Steps` steps and returns its weights on the CPU.
    private static Tensor TrainFloat64(Device device, IReplicaContext? context, Dataset data)
    {
        IDisposable? scope = null;
        MultiWorkerMirroredStrategy? local = null;
        if (context is null)
        {
            local = MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(), new MultiWorkerMirroredStrategyOptions { Device = device.type == DeviceType.CUDA ? TrainingDevice.Cuda : TrainingDevice.Cpu });
            scope = local.EnterScope();
        }

        try
        {
            using var model = SeedModel(ScalarType.Float64).Build(seed: 5).Compile(Mlops.Training.Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy);
            model.Fit(data, epochs: 1, stepsPerEpoch: Steps, verbose: Verbosity.Silent);
            using var weights = model.GetWeights();
            return weights.Parameters.cpu().DetachFromDisposeScope();
        }
        finally
        {
            scope?.Dispose();
            local?.Dispose();
        }
    }

    private static void SaveAndLoad(Device device, Dictionary<string, string> options)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"mlops-cuda-check-{Environment.ProcessId}");
        try
        {
            using var strategy = GpuTrainerBenchmark.SingleWorker(device, options, seed: 4);
            var (features, labels) = PlainTorchLoop.Data(1024, 10, seed: 4);
            var data = Dataset.FromArrays(features, 10, labels).Batch(64);
            using var probe = tensor(features.AsSpan(0, 64 * 10).ToArray(), [64, 10]);
            using var model = strategy.Scope(() => SeedModel(ScalarType.Float32).Build(seed: 5).Compile(Mlops.Training.Optimizer.Adam(), Loss.BinaryCrossEntropy, Metric.Accuracy));
            model.Fit(data, epochs: 1, verbose: Verbosity.Silent);
            model.Save(directory);
            using var expected = model.Predict(probe);

            using var loaded = strategy.Scope(() => Mlops.Training.Model.Load(directory));
            using var original = model.GetWeights();
            using var reloaded = loaded.GetWeights();
            Check($"reloaded in the scope: on {loaded.Device}, weights equal", loaded.Device.type == device.type && Same(original.Parameters, reloaded.Parameters));
            using var again = loaded.Predict(probe);
            Check("reloaded in the scope: predictions equal", Same(expected, again));

            using var onCpu = Mlops.Training.Model.Load(directory);
            using var cpuPredictions = onCpu.Predict(probe);
            var difference = (expected - cpuPredictions).abs().max().item<float>();
            Check($"reloaded outside any scope: on {onCpu.Device}, predictions within 1e-5 (max |difference| {difference:G3})", onCpu.Device.type == DeviceType.CPU && difference < 1e-5);

            var history = loaded.Fit(data, epochs: 1, verbose: Verbosity.Silent);
            Check($"the reloaded model trains on (compiled as saved: {loaded.Optimizer?.Name}, loss {history["loss"][0]:0.0000})", loaded.Optimizer is not null && double.IsFinite(history["loss"][0]));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static Sequential SeedModel(ScalarType type) =>
        Sequential.Input(10, type).Dense(64, Activation.Relu).Dense(64, Activation.Relu).Dense(1, Activation.Sigmoid);

    // Same shape and bitwise-equal values (TorchSharp's Tensor.equal is elementwise).
    private static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
        {
            return false;
        }

        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }

    private static double MaxDifference(Tensor a, Tensor b)
    {
        using var difference = (a - b).abs().max();
        return difference.item<double>();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Section(string name, Action body)
    {
        Console.WriteLine($"--- {name}");
        try
        {
            body();
        }
        catch (Exception ex)
        {
            Check($"{name} threw {ex.GetType().Name}: {ex.Message}", false);
            Console.WriteLine(ex.StackTrace);
        }
    }

    private static void Check(string what, bool passed)
    {
        Console.WriteLine($"{(passed ? "ok  " : "FAIL")} {what}");
        if (!passed)
        {
            _failures++;
        }
    }
}
