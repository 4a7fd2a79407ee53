namespace Mlops.Training.Onnx;

/// <summary>Names written into an exported ONNX graph (<see cref="OnnxExporter"/>).</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The graph input: float32 <c>[batch, InputWidth]</c>. Default <c>input</c>.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output: float32 <c>[batch, OutputWidth]</c>. Default <c>output</c>.</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>The name of the dynamic batch dimension (ONNX <c>dim_param</c>). Default <c>batch</c>.</summary>
    public string BatchDimension { get; init; } = "batch";

    /// <summary>The graph's name. Default <c>sequential</c>.</summary>
    public string GraphName { get; init; } = "sequential";

    internal void Validate()
    {
        foreach (var (value, name) in new[] { (InputName, nameof(InputName)), (OutputName, nameof(OutputName)), (BatchDimension, nameof(BatchDimension)), (GraphName, nameof(GraphName)) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"OnnxExportOptions.{name} is empty; ONNX names the graph's values and dimensions.");
            }
        }

        if (InputName == OutputName)
        {
            throw new ArgumentException($"OnnxExportOptions: the input and output are both named '{InputName}'; ONNX values need distinct names.");
        }
    }
}
