using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Mlops.Tracking.Models;

namespace Mlops.Onnx;

/// <summary>One input or output of an ONNX graph, as ONNX Runtime reports it.</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="IsTensor">False for sequences, maps and optionals (such as skl2onnx's ZipMap output), which <see cref="LoadedOnnxModel.Predict(IReadOnlyDictionary{string, Array})"/> does not return.</param>
/// <param name="DType">The element type as a numpy dtype name (float32, float64, int64, int32, int16, int8, uint8, uint16, uint32, uint64, bool, float16, str), or null for a non-tensor value.</param>
/// <param name="Shape">The dimensions, -1 where a dimension is dynamic (such as the batch).</param>
public sealed record OnnxTensorInfo(string Name, bool IsTensor, string? DType, IReadOnlyList<long> Shape)
{
    /// <summary>The value as an MLflow tensor-spec signature field.</summary>
    /// <returns>The field; a non-tensor value has no tensor-spec.</returns>
    /// <exception cref="NotSupportedException">The value is not a tensor.</exception>
    public SignatureField ToSignatureField() => IsTensor && DType is not null
        ? SignatureField.Tensor(Name, DType, [.. Shape])
        : throw new NotSupportedException($"The ONNX value '{Name}' is not a tensor, so it has no MLflow tensor-spec.");

    internal static IReadOnlyList<OnnxTensorInfo> From(IReadOnlyDictionary<string, NodeMetadata> metadata, IReadOnlyList<string> names) =>
        names.Select(name => From(name, metadata[name])).ToList();

    private static OnnxTensorInfo From(string name, NodeMetadata node) => node.IsTensor
        ? new OnnxTensorInfo(name, true, DTypeOf(node.ElementDataType), node.Dimensions.Select(d => d < 0 ? -1L : d).ToList())
        : new OnnxTensorInfo(name, false, null, []);

    internal static string? DTypeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Double => "float64",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        TensorElementType.Int16 => "int16",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.UInt16 => "uint16",
        TensorElementType.UInt32 => "uint32",
        TensorElementType.UInt64 => "uint64",
        TensorElementType.Bool => "bool",
        TensorElementType.Float16 => "float16",
        TensorElementType.String => "str",
        _ => null,
    };
}
