using System.Diagnostics;
using System.Globalization;
using Mlops.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// Synchronous data parallelism written by hand on the strategy's collectives, in float64: every rank builds the model
/// from a different seed (so only the broadcast can make them equal), takes its contiguous slice of each global batch,
/// sums its per-example losses, all-reduces the gradients (sum) and divides by the global batch, then steps a stock
/// torch.optim optimizer. Used by the worker processes of the equivalence and resume tests.
/// </summary>
internal static class PlainTrainingLoop
{
    public const int Features = 5;

    /// <summary>Where the chief checkpoints after every step, and which rank kills itself at which step in generation 0.</summary>
    public sealed record Resume(string Folder, int DieRank, int DieStep);

    /// <summary>Trains and returns the final parameters, flattened.</summary>
    public static double[] Train(MultiWorkerMirroredStrategy strategy, string optimizerName, int globalBatch, int steps, Resume? resume)
    {
        var replicas = strategy.NumReplicasInSync;
        if (globalBatch % replicas != 0)
        {
            throw new ArgumentException($"global batch {globalBatch} is not divisible by {replicas} workers");
        }

        var local = globalBatch / replicas;
        strategy.Seed(7 + strategy.Rank);
        using var model = nn.Sequential(
            ("hidden", nn.Linear(Features, 8, dtype: ScalarType.Float64)),
            ("tanh", nn.Tanh()),
            ("output", nn.Linear(8, 1, dtype: ScalarType.Float64)));
        var parameters = model.parameters().ToArray();
        using var optimizer = optimizerName switch
        {
            "sgd" => (TorchSharp.Modules.OptimizerHelper)optim.SGD(model.parameters(), 0.1),
            "adam" => optim.Adam(model.parameters(), 0.01),
            _ => throw new ArgumentException($"unknown optimizer {optimizerName}"),
        };
        var (features, labels) = Data(globalBatch * steps);
        using var x = features;
        using var y = labels;

        var start = 0;
        var checkpoint = resume is null ? null : Path.Combine(resume.Folder, "checkpoint-" + optimizerName);
        if (checkpoint is not null && Directory.Exists(checkpoint))
        {
            model.load(Path.Combine(checkpoint, "model.bin"));
            optimizer.load_state_dict(Path.Combine(checkpoint, "optimizer.bin"));
            start = int.Parse(File.ReadAllText(Path.Combine(checkpoint, "step.txt")), CultureInfo.InvariantCulture) + 1;
            Console.WriteLine($"RESUMED {optimizerName} at step {start} (generation {strategy.Cluster.Generation})");
        }

        using (no_grad())
        {
            using var flat = Flatten(parameters.Select(p => (Tensor)p));
            strategy.BroadcastParameters(flat);
            Unflatten(flat, parameters.Select(p => (Tensor)p));
        }

        for (var step = start; step < steps; step++)
        {
            if (resume is not null && strategy.Cluster.Generation == 0 && strategy.Rank == resume.DieRank && step == resume.DieStep)
            {
                Console.WriteLine($"KILLING myself at step {step}");
                Console.Out.Flush();
                Process.GetCurrentProcess().Kill();
            }

            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var rows = x.narrow(0, (step * globalBatch) + (strategy.Rank * local), local);
            var targets = y.narrow(0, (step * globalBatch) + (strategy.Rank * local), local);
            var loss = nn.functional.mse_loss(model.forward(rows), targets, nn.Reduction.Sum);
            loss.backward();
            var gradients = Flatten(parameters.Select(p => p.grad!));
            strategy.AllReduceSum(gradients);
            gradients.div_(globalBatch);
            Unflatten(gradients, parameters.Select(p => p.grad!));
            optimizer.step();
            if (checkpoint is not null && strategy.IsChief)
            {
                Save(checkpoint, model, optimizer, step);
            }
        }

        using (no_grad())
        {
            using var final = Flatten(parameters.Select(p => (Tensor)p));
            return final.data<double>().ToArray();
        }
    }

    /// <summary>The same rows on every rank: a fixed pseudo-random regression problem.</summary>
    public static (Tensor Features, Tensor Labels) Data(int rows)
    {
        var random = new Random(20240611);
        var x = new double[rows * Features];
        var y = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            double target = 0;
            for (var j = 0; j < Features; j++)
            {
                var value = (random.NextDouble() * 2) - 1;
                x[(i * Features) + j] = value;
                target += (j + 1) * value;
            }

            y[i] = Math.Sin(target) + (0.1 * ((random.NextDouble() * 2) - 1));
        }

        return (torch.tensor(x, [rows, Features], ScalarType.Float64), torch.tensor(y, [rows, 1], ScalarType.Float64));
    }

    private static Tensor Flatten(IEnumerable<Tensor> tensors) => cat(tensors.Select(t => t.reshape(-1)).ToArray(), 0);

    private static void Unflatten(Tensor flat, IEnumerable<Tensor> targets)
    {
        long offset = 0;
        foreach (var target in targets)
        {
            var count = target.numel();
            using var source = flat.narrow(0, offset, count).view(target.shape);
            target.copy_(source);
            offset += count;
        }
    }

    private static void Save(string checkpoint, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, int step)
    {
        // Written beside, then swapped in: a rank killed mid-write leaves the previous checkpoint intact.
        var staging = checkpoint + ".tmp";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, true);
        }

        Directory.CreateDirectory(staging);
        model.save(Path.Combine(staging, "model.bin"));
        optimizer.save_state_dict(Path.Combine(staging, "optimizer.bin"));
        File.WriteAllText(Path.Combine(staging, "step.txt"), step.ToString(CultureInfo.InvariantCulture));
        var old = checkpoint + ".old";
        if (Directory.Exists(checkpoint))
        {
            Directory.Move(checkpoint, old);
        }

        Directory.Move(staging, checkpoint);
        if (Directory.Exists(old))
        {
            Directory.Delete(old, true);
        }
    }
}
