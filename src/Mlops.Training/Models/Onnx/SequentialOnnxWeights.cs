using System.Globalization;
using static TorchSharp.torch;

namespace Mlops.Training.Onnx;

/// <summary>
/// A model's <c>state_dict</c> tensors by name, read as float32 on the CPU for initializers. The exporter names the
/// tensors it needs by <see cref="SequentialModuleFactory"/>'s numbering; <see cref="CheckAllUsed"/> then proves that
/// it read every weight, so a change to the factory's numbering cannot export a graph that silently drops one.
/// </summary>
internal sealed class SequentialOnnxWeights
{
    private readonly Dictionary<string, Tensor> _tensors;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public SequentialOnnxWeights(Model model)
    {
        _tensors = model.NamedTensors().ToDictionary(pair => pair.Name, pair => pair.Tensor, StringComparer.Ordinal);
    }

    /// <summary>The tensor's values (row-major) and shape.</summary>
    public (float[] Values, long[] Shape) Read(string name)
    {
        if (!_tensors.TryGetValue(name, out var tensor))
        {
            throw new InvalidOperationException($"The ONNX export looked for the weight '{name}', which the model does not have ({string.Join(", ", _tensors.Keys)}); the exporter and SequentialModuleFactory disagree.");
        }

        _used.Add(name);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        return (values, tensor.shape);
    }

    /// <summary>Fails if a weight (other than batch-norm step counters) was never read.</summary>
    public void CheckAllUsed()
    {
        var unused = _tensors.Keys.Where(name => !_used.Contains(name) && !name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList();
        if (unused.Count > 0)
        {
            throw new InvalidOperationException($"The ONNX export did not use the weights {string.Join(", ", unused)}; the exporter and SequentialModuleFactory disagree.");
        }
    }

    /// <summary>The <c>nn.Sequential</c> key of an entry (0, 1, ...), as the factory numbers them.</summary>
    public static string Key(int entry) => entry.ToString(CultureInfo.InvariantCulture);
}
