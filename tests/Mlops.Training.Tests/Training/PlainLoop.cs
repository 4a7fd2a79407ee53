using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Training;

/// <summary>A plain TorchSharp training loop (the reference the trainer must match): a copy of a model's module, a torch.optim optimizer, mean BCE clamped like Keras.</summary>
internal static class PlainLoop
{
    /// <summary>An nn.Sequential of Linear/ReLU/Sigmoid layers with the same weights as <paramref name="model"/>'s (a Dense-only Sequential).</summary>
    public static nn.Module<Tensor, Tensor> CopyOf(Model model)
    {
        var description = model.Description!;
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var width = description.InputWidth;
        foreach (var layer in description.Layers.Cast<DenseLayer>())
        {
            modules.Add((modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), nn.Linear(width, layer.Units, dtype: description.ElementType)));
            if (layer.Activation.CreateModule() is { } activation)
            {
                modules.Add((modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), activation));
            }

            width = layer.Units;
        }

        var copy = nn.Sequential(modules);
        var source = model.Module.state_dict();
        using (no_grad())
        {
            foreach (var (name, tensor) in copy.state_dict())
            {
                tensor.copy_(source[name]);
            }
        }

        return copy;
    }

    public static void Train(nn.Module<Tensor, Tensor> module, optim.Optimizer optimizer, IEnumerable<(Tensor Features, Tensor Labels)> batches)
    {
        foreach (var (features, labels) in batches)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var predictions = module.forward(features);
            var loss = nn.functional.binary_cross_entropy(predictions.clamp(1e-7, 1 - 1e-7), labels.reshape(-1, 1));
            loss.backward();
            optimizer.step();
        }
    }

    /// <summary>The batches a single replica reads from a dataset, in order (passes after the first reshuffle as the dataset does).</summary>
    public static List<(Tensor Features, Tensor Labels)> Batches(Mlops.Training.Data.Dataset dataset, ScalarType type, int steps)
    {
        var result = new List<(Tensor, Tensor)>();
        foreach (var batch in dataset.Read(new Mlops.Training.Data.DataReadContext(0, 1, type), Mlops.Training.Data.DatasetPosition.Start))
        {
            if (result.Count == steps)
            {
                batch.Dispose();
                break;
            }

            result.Add((batch.Features, batch.Labels));
        }

        return result;
    }

    public static double MaxDifference(Model model, nn.Module<Tensor, Tensor> reference)
    {
        var mine = model.Module.state_dict();
        double max = 0;
        foreach (var (name, tensor) in reference.state_dict())
        {
            using var difference = (tensor - mine[name]).abs().max();
            max = Math.Max(max, difference.to_type(ScalarType.Float64).item<double>());
        }

        return max;
    }
}
