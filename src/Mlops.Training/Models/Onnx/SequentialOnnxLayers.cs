using G = Mlops.Training.Onnx.OnnxGraphBuilder;

namespace Mlops.Training.Onnx;

/// <summary>
/// Emits the ONNX nodes of a <see cref="Sequential"/> description, walking its layers as
/// <see cref="SequentialModuleFactory"/> builds them (so the <c>nn.Sequential</c> entry numbers, and with them the
/// weight names, match): the embedding stage first when there are embed layers, then each layer and, for a dense
/// layer with an activation, the activation as the next entry.
/// </summary>
internal sealed class SequentialOnnxLayers(G graph, SequentialOnnxWeights weights, Sequential description)
{
    private int _entry;

    /// <summary>Emits every layer after <paramref name="input"/>; returns the last value.</summary>
    public string Emit(string input)
    {
        var current = input;
        var width = description.InputWidth;
        var embeds = description.Layers.OfType<EmbedLayer>().ToList();
        if (embeds.Count > 0)
        {
            current = EmbeddingStage(current, embeds);
            width = width - embeds.Count + embeds.Sum(embed => embed.Dimension);
            _entry++;
        }

        for (var index = 0; index < description.Layers.Count; index++)
        {
            var layer = description.Layers[index];
            switch (layer)
            {
                case EmbedLayer:
                    break;
                case EmbeddingLayer embedding:
                    current = SharedEmbedding(current, embedding);
                    width *= embedding.Dimension;
                    _entry += 2; // the table, then nn.Flatten
                    break;
                case DenseLayer dense:
                    current = Dense(current, dense, index);
                    _entry++;
                    if (dense.Activation != Activation.Linear)
                    {
                        current = Activate(current, dense.Activation, index);
                        _entry++;
                    }

                    width = dense.Units;
                    break;
                case ActivationLayer activation:
                    current = Activate(current, activation.Activation, index);
                    _entry++;
                    break;
                case DropoutLayer:
                    // The identity at inference: no node.
                    _entry++;
                    break;
                case BatchNormLayer norm:
                    current = BatchNorm(current, norm, index);
                    _entry++;
                    break;
                default:
                    throw new NotSupportedException($"Layer {index} ({layer.Kind}: {layer}) has no ONNX export.");
            }
        }

        return current;
    }

    private string Dense(string input, DenseLayer dense, int index)
    {
        var key = SequentialOnnxWeights.Key(_entry);
        var (w, wShape) = weights.Read(key + ".weight");
        var inputs = new List<string> { input, graph.Floats($"layer{index}.dense.weight", w, wShape) };
        if (dense.UseBias)
        {
            var (b, bShape) = weights.Read(key + ".bias");
            inputs.Add(graph.Floats($"layer{index}.dense.bias", b, bShape));
        }

        // y = x W^T + b: nn.Linear's weight is [units, inputs].
        return graph.Node("Gemm", $"layer{index}_dense", [.. inputs], G.Int("transB", 1));
    }

    private string Activate(string input, Activation activation, int index)
    {
        var name = $"layer{index}_{activation.Name}";
        return activation.Name switch
        {
            "linear" => graph.Node("Identity", name, [input]),
            "relu" => graph.Node("Relu", name, [input]),
            "sigmoid" => graph.Node("Sigmoid", name, [input]),
            "tanh" => graph.Node("Tanh", name, [input]),
            "softmax" => graph.Node("Softmax", name, [input], G.Int("axis", -1)),
            "leaky_relu" => graph.Node("LeakyRelu", name, [input], G.Float("alpha", (float)activation.NegativeSlope)),
            "gelu" => Gelu(input, name, index),
            _ => throw new NotSupportedException($"Layer {index}: the activation '{activation}' has no ONNX export."),
        };
    }

    // The exact GELU, x * (1 + erf(x / sqrt 2)) / 2 (opset 17 has no Gelu operator; 20 does).
    private string Gelu(string input, string name, int index)
    {
        var sqrt2 = graph.Floats($"layer{index}.gelu.sqrt2", [MathF.Sqrt(2f)]);
        var one = graph.Floats($"layer{index}.gelu.one", [1f]);
        var half = graph.Floats($"layer{index}.gelu.half", [0.5f]);
        var scaled = graph.Node("Div", name + "_scale", [input, sqrt2]);
        var erf = graph.Node("Erf", name + "_erf", [scaled]);
        var shifted = graph.Node("Add", name + "_shift", [erf, one]);
        var product = graph.Node("Mul", name + "_mul", [input, shifted]);
        return graph.Node("Mul", name, [product, half]);
    }

    private string BatchNorm(string input, BatchNormLayer norm, int index)
    {
        var key = SequentialOnnxWeights.Key(_entry);
        string Weight(string part, string onnxName)
        {
            var (values, shape) = weights.Read($"{key}.{part}");
            return graph.Floats($"layer{index}.batch_norm.{onnxName}", values, shape);
        }

        // Inference form: normalised by the running statistics (training_mode defaults to 0).
        return graph.Node(
            "BatchNormalization",
            $"layer{index}_batch_norm",
            [input, Weight("weight", "scale"), Weight("bias", "bias"), Weight("running_mean", "mean"), Weight("running_var", "var")],
            G.Float("epsilon", (float)norm.Epsilon));
    }

    // EmbeddingStage: each embedded column's ids looked up in its own table, then the other columns, concatenated.
    private string EmbeddingStage(string input, List<EmbedLayer> embeds)
    {
        var key = SequentialOnnxWeights.Key(_entry);
        var parts = new List<string>();
        for (var j = 0; j < embeds.Count; j++)
        {
            var embed = embeds[j];
            var name = $"embed{j}_column{embed.Column}";
            var column = graph.Int64s($"{name}.column", [embed.Column]);
            var ids = graph.Node("Gather", name + "_ids", [input, column], G.Int("axis", 1));
            var (table, shape) = weights.Read($"{key}.embeddings.{j}.weight");
            parts.Add(Lookup(ids, graph.Floats($"{name}.weight", table, shape), embed.VocabularySize, name));
        }

        var dense = Enumerable.Range(0, description.InputWidth).Where(c => embeds.All(e => e.Column != c)).Select(c => (long)c).ToArray();
        if (dense.Length > 0)
        {
            var columns = graph.Int64s("dense_columns", dense, dense.Length);
            parts.Add(graph.Node("Gather", "dense_columns_select", [input, columns], G.Int("axis", 1)));
        }

        return parts.Count == 1 ? parts[0] : graph.Node("Concat", "embedding_stage", [.. parts], G.Int("axis", 1));
    }

    // IdEmbedding + nn.Flatten: [n, k] ids -> [n, k, d] -> [n, k * d].
    private string SharedEmbedding(string input, EmbeddingLayer embedding)
    {
        var key = SequentialOnnxWeights.Key(_entry);
        var (table, shape) = weights.Read($"{key}.weight");
        var rows = Lookup(input, graph.Floats("embedding.weight", table, shape), embedding.VocabularySize, "embedding");
        return graph.Node("Flatten", "embedding_flatten", [rows], G.Int("axis", 1));
    }

    // Float ids truncated to int64 (as Tensor.to_type does) and looked up. ONNX Gather counts negative indices from the
    // end, where nn.Embedding fails: a negative id is mapped to the vocabulary size, which Gather rejects as out of range.
    private string Lookup(string ids, string table, int vocabularySize, string name)
    {
        var integers = graph.Node("Cast", name + "_cast", [ids], G.Int("to", (long)Proto.TensorProto.Types.DataType.Int64));
        var zero = graph.Int64s($"{name}.zero", [0]);
        var outside = graph.Int64s($"{name}.vocabulary_size", [vocabularySize]);
        var negative = graph.Node("Less", name + "_negative", [integers, zero]);
        var checkedIds = graph.Node("Where", name + "_checked", [negative, outside, integers]);
        return graph.Node("Gather", name + "_lookup", [table, checkedIds], G.Int("axis", 0));
    }
}
