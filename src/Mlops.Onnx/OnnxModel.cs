using Microsoft.ML.OnnxRuntime;
using Mlops.Tracking.Models;

namespace Mlops.Onnx;

/// <summary>
/// An ONNX model to log with the <c>onnx</c> flavor: the bytes of a <c>model.onnx</c> file, checked by ONNX Runtime
/// when made (so a corrupt file fails here, not when a server loads it) and described by the graph's inputs and
/// outputs. Make one from bytes (such as Mlops.Training's <c>OnnxExporter.ToBytes(model)</c>), a file, or a stream.
/// </summary>
/// <example>
/// <code>
/// var onnx = OnnxModel.FromBytes(OnnxExporter.ToBytes(model));
/// run.LogModel(onnx, "model");   // MLmodel: onnx + python_function flavors, tensor-spec signature from the graph
/// </code>
/// </example>
public sealed class OnnxModel
{
    private readonly byte[] _bytes;

    private OnnxModel(byte[] bytes, string source)
    {
        _bytes = bytes;
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(bytes, options);
            Inputs = OnnxTensorInfo.From(session.InputMetadata, session.InputNames);
            Outputs = OnnxTensorInfo.From(session.OutputMetadata, session.OutputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DataFormatException($"not an ONNX model ONNX Runtime can load: {e.Message}", source, innerException: e);
        }
    }

    /// <summary>The graph's inputs in order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The graph's outputs in order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>The bytes of the ONNX file.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>
    /// The execution providers written to the manifest, in order of preference (MLflow's <c>providers</c>), such as
    /// <c>["CUDAExecutionProvider", "CPUExecutionProvider"]</c>. Default: <c>CPUExecutionProvider</c> only.
    /// </summary>
    public IReadOnlyList<string> Providers { get; init; } = ["CPUExecutionProvider"];

    /// <summary>
    /// The tensor-spec signature of the graph's tensor inputs and outputs (an exported Sequential: float32 <c>[-1, k]</c>),
    /// which the flavor writes when <c>LogModel</c> is given none.
    /// </summary>
    public ModelSignature Signature => new(
        Inputs.Where(i => i.IsTensor).Select(i => i.ToSignatureField()).ToList(),
        Outputs.Where(o => o.IsTensor).Select(o => o.ToSignatureField()).ToList());

    /// <summary>An ONNX model from the bytes of its file (copied).</summary>
    /// <param name="bytes">A serialized ONNX <c>ModelProto</c> with its weights inside (no external data files).</param>
    /// <returns>The model.</returns>
    /// <exception cref="DataFormatException">ONNX Runtime cannot load the bytes.</exception>
    public static OnnxModel FromBytes(ReadOnlySpan<byte> bytes) => bytes.IsEmpty
        ? throw new ArgumentException("The ONNX model is empty (0 bytes).", nameof(bytes))
        : new OnnxModel(bytes.ToArray(), "ONNX bytes");

    /// <summary>An ONNX model from a file, read now.</summary>
    /// <param name="path">A <c>.onnx</c> file with its weights inside (a model whose tensors live in external data files is not supported).</param>
    /// <returns>The model.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="DataFormatException">ONNX Runtime cannot load the file (naming it).</exception>
    public static OnnxModel FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var bytes = File.ReadAllBytes(path);
        return bytes.Length == 0 ? throw new DataFormatException("the ONNX file is empty", path) : new OnnxModel(bytes, path);
    }

    /// <summary>An ONNX model read from a stream to its end.</summary>
    /// <param name="stream">The stream (left open).</param>
    /// <returns>The model.</returns>
    /// <exception cref="DataFormatException">ONNX Runtime cannot load what was read.</exception>
    public static OnnxModel FromStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return FromBytes(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    internal byte[] RawBytes => _bytes;
}
