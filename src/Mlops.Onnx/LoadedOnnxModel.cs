using Microsoft.ML.OnnxRuntime;
using Mlops.Tracking.Models;

namespace Mlops.Onnx;

/// <summary>
/// An ONNX model loaded from a tracking store or a model folder: an ONNX Runtime <see cref="InferenceSession"/> that
/// predicts on columns. Each input column feeds the graph input of the same name, its first dimension the rows:
/// <c>float[][]</c> (one row vector per row) for a <c>[rows, width]</c> input, or a 1-D array (<c>float[]</c>,
/// <c>long[]</c>, ...) for a <c>[rows]</c> input or a <c>[rows, 1]</c> one. Every tensor output comes back as a column.
/// </summary>
public sealed class LoadedOnnxModel : ILoadedModel, IColumnPredictor
{
    private readonly SessionOptions _options;
    private readonly Dictionary<string, (OnnxTensorInfo Info, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType Type)> _inputs;

    internal LoadedOnnxModel(InferenceSession session, SessionOptions options, IReadOnlyList<string> providers, ModelManifest manifest)
    {
        Session = session;
        _options = options;
        Providers = providers;
        Manifest = manifest;
        Inputs = OnnxTensorInfo.From(session.InputMetadata, session.InputNames);
        Outputs = OnnxTensorInfo.From(session.OutputMetadata, session.OutputNames);
        // A non-tensor input (a sequence or map) has no element type; OnnxColumns refuses it by name.
        _inputs = Inputs.ToDictionary(i => i.Name, i => (i, i.IsTensor ? session.InputMetadata[i.Name].ElementDataType : default), StringComparer.Ordinal);
    }

    /// <summary>The ONNX Runtime session (for metadata or calls this type does not wrap).</summary>
    public InferenceSession Session { get; }

    /// <summary>The graph's inputs in order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The graph's outputs in order; <see cref="Predict(IReadOnlyDictionary{string, Array})"/> returns the tensor ones.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>The execution providers the session runs on, in order of preference (the manifest's, less those this ONNX Runtime build lacks; CPU last).</summary>
    public IReadOnlyList<string> Providers { get; }

    /// <summary>
    /// True: <see cref="Predict(IReadOnlyDictionary{string, Array})"/> may be called from many threads at once (ONNX
    /// Runtime's <c>InferenceSession.Run</c> is thread-safe), so a server can run parallel workers over one instance.
    /// Dispose only after the calls have returned.
    /// </summary>
    public bool IsThreadSafe => true;

    /// <inheritdoc/>
    public ModelManifest Manifest { get; }

    /// <inheritdoc/>
    public string Flavor => OnnxModelFlavor.FlavorName;

    /// <summary>Predicts every tensor output for the rows of the input columns.</summary>
    /// <param name="inputs">One column per graph input, by name, all with the same number of rows.</param>
    /// <returns>Each tensor output by name: <c>T[]</c> for a rank-1 output, else <c>T[][]</c> (one row each).</returns>
    /// <exception cref="ArgumentException">An unknown or missing input, a column of the wrong type, width or row count (naming the input).</exception>
    public IReadOnlyDictionary<string, Array> Predict(IReadOnlyDictionary<string, Array> inputs) =>
        Predict(inputs, Outputs.Where(o => o.IsTensor).Select(o => o.Name).ToList());

    /// <summary>Predicts the named outputs for the rows of the input columns.</summary>
    /// <param name="inputs">One column per graph input, by name, all with the same number of rows.</param>
    /// <param name="outputs">The tensor outputs to compute, by name.</param>
    /// <returns>Each requested output by name: <c>T[]</c> for a rank-1 output, else <c>T[][]</c> (one row each).</returns>
    /// <exception cref="ArgumentException">A bad input (naming it), or an output the graph does not have or that is not a tensor.</exception>
    public IReadOnlyDictionary<string, Array> Predict(IReadOnlyDictionary<string, Array> inputs, IReadOnlyCollection<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        foreach (var output in outputs)
        {
            if (Outputs.FirstOrDefault(o => o.Name == output) is not { IsTensor: true })
            {
                throw new ArgumentException($"The model has no tensor output '{output}'; its tensor outputs: {string.Join(", ", Outputs.Where(o => o.IsTensor).Select(o => o.Name))}.", nameof(outputs));
            }
        }

        foreach (var name in inputs.Keys)
        {
            if (!_inputs.ContainsKey(name))
            {
                throw new ArgumentException($"The model has no input '{name}'; its inputs: {Describe()}.", nameof(inputs));
            }
        }

        var missing = Inputs.Where(i => !inputs.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"Missing input{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}; the model takes {Describe()}.", nameof(inputs));
        }

        var values = new List<OrtValue>(Inputs.Count);
        try
        {
            long? rows = null;
            string? first = null;
            foreach (var input in Inputs)
            {
                var column = inputs[input.Name] ?? throw new ArgumentException($"Input '{input.Name}' is null.", nameof(inputs));
                var (info, type) = _inputs[input.Name];
                var (value, count) = OnnxColumns.ToTensor(info, type, column);
                values.Add(value);
                if (rows is not null && count != rows)
                {
                    throw new ArgumentException($"Input '{input.Name}' has {count} rows but '{first}' has {rows}; every column needs one element per row.", nameof(inputs));
                }

                rows ??= count;
                first ??= input.Name;
            }

            using var runOptions = new RunOptions();
            using var results = Session.Run(runOptions, Inputs.Select(i => i.Name).ToList(), values, outputs);
            var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
            var index = 0;
            foreach (var output in outputs)
            {
                columns[output] = OnnxColumns.ToColumn(output, results[index++]);
            }

            return columns;
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>Disposes the session.</summary>
    public void Dispose()
    {
        Session.Dispose();
        _options.Dispose();
    }

    private string Describe() => string.Join(", ", Inputs.Select(i => i.IsTensor ? $"'{i.Name}' {i.DType} [{string.Join(", ", i.Shape)}]" : $"'{i.Name}' (not a tensor)"));
}
