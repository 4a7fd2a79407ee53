using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Turns a <see cref="Sequential"/> description into a PyTorch-shaped <c>nn.Sequential</c>. Entries are numbered from
/// 0 as PyTorch numbers them: the embedding stage (when there are embed layers), then for each layer its module and,
/// for a dense layer with an activation other than linear, the activation's module as the next entry. So
/// An <see cref="EmbeddingLayer"/> is an <c>nn.Embedding</c> (taking the float ids as integers) followed by
/// <c>nn.Flatten()</c>. <c>Input(10).Dense(64, Relu).Dense(1, Sigmoid)</c> is <c>nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1),
/// nn.Sigmoid())</c> with parameters <c>0.weight, 0.bias, 2.weight, 2.bias</c>.
/// </summary>
internal static class SequentialModuleFactory
{
    public static nn.Module<Tensor, Tensor> Create(Sequential description, Device device, Generator? generator)
    {
        var dtype = description.ElementType;
        var entries = new List<(string, nn.Module<Tensor, Tensor>)>();
        var embeds = description.Layers.OfType<EmbedLayer>().ToList();
        var width = description.InputWidth;
        if (embeds.Count > 0)
        {
            entries.Add((Key(entries), new EmbeddingStage(width, embeds, device, dtype, generator)));
            width = width - embeds.Count + embeds.Sum(embed => embed.Dimension);
        }

        foreach (var layer in description.Layers)
        {
            switch (layer)
            {
                case EmbedLayer:
                    break;
                case EmbeddingLayer embedding:
                    entries.Add((Key(entries), new IdEmbedding(embedding.VocabularySize, embedding.Dimension, device, dtype, generator)));
                    entries.Add((Key(entries), nn.Flatten()));
                    width *= embedding.Dimension;
                    break;
                case DenseLayer dense:
                    entries.Add((Key(entries), CreateDense(width, dense, device, dtype, generator)));
                    AddActivation(entries, dense.Activation);
                    width = dense.Units;
                    break;
                case ActivationLayer activation:
                    AddActivation(entries, activation.Activation, always: true);
                    break;
                case DropoutLayer dropout:
                    entries.Add((Key(entries), nn.Dropout(dropout.Rate)));
                    break;
                case BatchNormLayer norm:
                    entries.Add((Key(entries), nn.BatchNorm1d(width, eps: norm.Epsilon, momentum: 1 - norm.Momentum, device: device, dtype: dtype)));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown layer {layer}.");
            }
        }

        return nn.Sequential(entries);
    }

    private static nn.Module<Tensor, Tensor> CreateDense(int inputWidth, DenseLayer dense, Device device, ScalarType dtype, Generator? generator)
    {
        var linear = nn.Linear(inputWidth, dense.Units, dense.UseBias, device, dtype);
        using (no_grad())
        {
            // Keras' defaults: glorot-uniform kernel, zero bias.
            var limit = Math.Sqrt(6.0 / (inputWidth + dense.Units));
            // Tensor.uniform_ honours the generator (nn.init.uniform_ in TorchSharp 0.107 ignores it).
            linear.weight.uniform_(-limit, limit, generator);
            if (linear.bias is not null)
            {
                nn.init.zeros_(linear.bias);
            }
        }

        return linear;
    }

    private static void AddActivation(List<(string, nn.Module<Tensor, Tensor>)> entries, Activation activation, bool always = false)
    {
        var module = activation.CreateModule();
        if (module is not null)
        {
            entries.Add((Key(entries), module));
        }
        else if (always)
        {
            entries.Add((Key(entries), nn.Identity()));
        }
    }

    private static string Key(List<(string, nn.Module<Tensor, Tensor>)> entries) => entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
