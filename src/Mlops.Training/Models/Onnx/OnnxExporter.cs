using Google.Protobuf;
using Mlops.Training.Onnx.Proto;
using static TorchSharp.torch;
using G = Mlops.Training.Onnx.OnnxGraphBuilder;

namespace Mlops.Training.Onnx;

/// <summary>
/// Writes a <see cref="Sequential"/> model as an ONNX model (IR version 8, opset 17) for inference on ONNX Runtime or
/// any ONNX reader: one float32 input <c>[batch, InputWidth]</c> and one float32 output <c>[batch, OutputWidth]</c>, the
/// batch dimension dynamic, the trained weights as initializers. It computes what the model computes in eval mode:
/// dense layers are <c>Gemm</c>; activations their ONNX operators (GELU, exact, as <c>Erf</c>); dropout is the identity;
/// batch normalisation is <c>BatchNormalization</c> over the running mean and variance; embedding layers <c>Gather</c>
/// the ids (the input's float ids are truncated to integers, as the model does; an id outside the vocabulary fails the
/// run in ONNX Runtime, but unlike <see cref="Model.Predict(float[][])"/> the graph does not reject a fractional id).
/// </summary>
/// <example>
/// <code>
/// model.ExportOnnx("model.onnx");
/// byte[] bytes = OnnxExporter.ToBytes(model, new OnnxExportOptions { InputName = "features" });
/// </code>
/// </example>
public static class OnnxExporter
{
    /// <summary>The ONNX IR version written.</summary>
    public const long IrVersion = 8;

    /// <summary>The version of the default ONNX operator set the graph uses.</summary>
    public const long OpsetVersion = 17;

    /// <summary>Writes the model as ONNX to a file (created or overwritten).</summary>
    /// <param name="model">A model built with <see cref="Sequential"/>, float32.</param>
    /// <param name="path">The file, conventionally <c>model.onnx</c>.</param>
    /// <param name="options">The graph's names; defaults when null.</param>
    /// <exception cref="NotSupportedException">The model cannot be exported: made with <see cref="Model.FromModule"/>, float64, or a layer without an ONNX form (named).</exception>
    public static void ExportOnnx(this Model model, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var proto = Build(model, options);
        using var file = File.Create(path);
        proto.WriteTo(file);
    }

    /// <summary>Writes the model as ONNX to a stream (left open).</summary>
    /// <param name="model">A model built with <see cref="Sequential"/>, float32.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">The graph's names; defaults when null.</param>
    /// <exception cref="NotSupportedException">The model cannot be exported (see <see cref="ExportOnnx"/>).</exception>
    public static void Export(Model model, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Build(model, options).WriteTo(stream);
    }

    /// <summary>The model as the bytes of an ONNX file.</summary>
    /// <param name="model">A model built with <see cref="Sequential"/>, float32.</param>
    /// <param name="options">The graph's names; defaults when null.</param>
    /// <returns>The serialized ONNX <c>ModelProto</c>.</returns>
    /// <exception cref="NotSupportedException">The model cannot be exported (see <see cref="ExportOnnx"/>).</exception>
    public static byte[] ToBytes(Model model, OnnxExportOptions? options = null) => Build(model, options).ToByteArray();

    internal static ModelProto Build(Model model, OnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxExportOptions();
        options.Validate();
        var description = model.Description ?? throw new NotSupportedException(
            $"Only Sequential models can be exported to ONNX; this model wraps a {model.Module.GetType().FullName} given to Model.FromModule, whose forward is arbitrary code. Export it from PyTorch (torch.onnx.export) or describe it with Sequential.");
        if (model.ElementType != ScalarType.Float32)
        {
            throw new NotSupportedException($"The ONNX export writes float32 graphs; this model is {model.ElementType}. Build the model with Sequential.Input(width, ScalarType.Float32).");
        }

        var graph = new G();
        var weights = new SequentialOnnxWeights(model);
        var current = new SequentialOnnxLayers(graph, weights, description).Emit(options.InputName);
        var output = new NodeProto { OpType = "Identity", Name = "output" };
        output.Input.Add(current);
        output.Output.Add(options.OutputName);
        graph.Graph.Node.Add(output);
        weights.CheckAllUsed();

        graph.Graph.Name = options.GraphName;
        graph.Graph.Input.Add(G.Matrix(options.InputName, options.BatchDimension, description.InputWidth));
        graph.Graph.Output.Add(G.Matrix(options.OutputName, options.BatchDimension, description.OutputWidth));
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Mlops.Training",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        return proto;
    }
}
