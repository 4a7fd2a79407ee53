using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Benchmarks.Training;

/// <summary>
/// The reference the trainer is measured against: the seed model (width → 64 relu → 64 relu → 1 sigmoid) trained with a
/// hand-written TorchSharp loop (zero_grad, forward, binary cross-entropy, backward, Adam step) over batches already
/// made as tensors — what a TorchSharp user writes without a framework.
/// </summary>
internal static class PlainTorchLoop
{
    public static nn.Module<Tensor, Tensor> SeedModel(int width) => nn.Sequential(
        ("0", nn.Linear(width, 64)),
        ("1", nn.ReLU()),
        ("2", nn.Linear(64, 64)),
        ("3", nn.ReLU()),
        ("4", nn.Linear(64, 1)),
        ("5", nn.Sigmoid()));

    /// <summary>Trains <paramref name="steps"/> steps over the batches (cycling) and returns the seconds per step.</summary>
    public static double SecondsPerStep(nn.Module<Tensor, Tensor> model, IReadOnlyList<(Tensor X, Tensor Y)> batches, int steps)
    {
        using var optimizer = optim.Adam(model.parameters(), lr: 0.001);
        using var loss = nn.BCELoss();
        var watch = Stopwatch.StartNew();
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batches[step % batches.Count];
            optimizer.zero_grad();
            var output = loss.call(model.call(x), y);
            output.backward();
            optimizer.step();
        }

        return watch.Elapsed.TotalSeconds / steps;
    }

    /// <summary>Random features in [0, 1) and 0/1 labels drawn from a fixed linear rule, as float32 batch tensors.</summary>
    public static List<(Tensor X, Tensor Y)> Batches(float[] features, float[] labels, int width, int batchSize)
    {
        var batches = new List<(Tensor, Tensor)>();
        var rows = labels.Length;
        for (var start = 0; start + batchSize <= rows; start += batchSize)
        {
            var x = tensor(features.AsSpan(start * width, batchSize * width).ToArray(), [batchSize, width]);
            var y = tensor(labels.AsSpan(start, batchSize).ToArray(), [batchSize, 1]);
            batches.Add((x, y));
        }

        return batches;
    }

    /// <summary>Makes <paramref name="rows"/> examples of width <paramref name="width"/> with a learnable label.</summary>
    public static (float[] Features, float[] Labels) Data(int rows, int width, int seed)
    {
        var random = new Random(seed);
        var features = new float[rows * width];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            double score = 0;
            for (var c = 0; c < width; c++)
            {
                var v = (float)random.NextDouble();
                features[(r * width) + c] = v;
                score += (c % 2 == 0 ? 1 : -1) * v;
            }

            labels[r] = score > 0 ? 1 : 0;
        }

        return (features, labels);
    }
}
