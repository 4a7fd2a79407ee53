using System.Globalization;
using Mlops.Serving.Inference;
using Mlops.Tracking.Models;

namespace Mlops.Serving.Models;

/// <summary>
/// A model's inputs and outputs as protocol tensors, read from its manifest's signature: tensor specs keep their numpy
/// dtype and shape, column specs become one-dimensional tensors (one element per row). Without a signature, a
/// TorchSharp model's widths stand in (one FP32 input of its input width, its <c>prediction</c> output).
/// </summary>
internal static class SignatureTensors
{
    /// <summary>The inputs, or null when the manifest does not say.</summary>
    public static IReadOnlyList<TensorMetadata>? Inputs(ModelManifest manifest) => manifest.Signature is { } signature
        ? ToMetadata(signature.Inputs, "input")
        : TorchSharpWidth(manifest, "input_width") is { } width ? [new TensorMetadata("input", TensorDataType.Fp32, [-1, width])] : null;

    /// <summary>The outputs, or null when the manifest does not say.</summary>
    public static IReadOnlyList<TensorMetadata>? Outputs(ModelManifest manifest)
    {
        if (manifest.Signature?.Outputs is { } outputs)
        {
            return ToMetadata(outputs, "output");
        }

        return TorchSharpWidth(manifest, "output_width") is { } width
            ? [new TensorMetadata("prediction", TensorDataType.Fp32, width == 1 ? [-1] : [-1, width])]
            : null;
    }

    /// <summary>The protocol type of a numpy dtype (MLflow's tensor specs), or null if it has none.</summary>
    public static TensorDataType? FromNumpy(string? dtype) => dtype switch
    {
        "bool" => TensorDataType.Bool,
        "uint8" => TensorDataType.UInt8,
        "uint16" => TensorDataType.UInt16,
        "uint32" => TensorDataType.UInt32,
        "uint64" => TensorDataType.UInt64,
        "int8" => TensorDataType.Int8,
        "int16" => TensorDataType.Int16,
        "int32" => TensorDataType.Int32,
        "int64" => TensorDataType.Int64,
        "float16" => TensorDataType.Fp16,
        "float32" => TensorDataType.Fp32,
        "float64" or "float" => TensorDataType.Fp64,
        "str" or "object" or "bytes" or "string" => TensorDataType.Bytes,
        _ => null,
    };

    /// <summary>The protocol type of an MLflow column type (ColSpec), or null if it has none.</summary>
    public static TensorDataType? FromColumnType(string type) => type switch
    {
        "boolean" => TensorDataType.Bool,
        "integer" => TensorDataType.Int32,
        "long" => TensorDataType.Int64,
        "float" => TensorDataType.Fp32,
        "double" => TensorDataType.Fp64,
        "string" or "binary" or "datetime" => TensorDataType.Bytes,
        _ => null,
    };

    private static List<TensorMetadata> ToMetadata(IReadOnlyList<SignatureField> fields, string side)
    {
        var tensors = new List<TensorMetadata>(fields.Count);
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];

            // MLflow lets a lone tensor go unnamed; the protocol needs a name, so it gets the side's ("input", "output").
            var name = field.Name ?? (fields.Count == 1 ? side : side + "_" + i.ToString(CultureInfo.InvariantCulture));
            if (field.Type == "tensor")
            {
                var type = FromNumpy(field.DType) ?? throw new NotSupportedException(
                    $"The signature's {side} '{name}' has numpy dtype '{field.DType}', which has no Open Inference Protocol datatype.");
                var shape = field.Shape is { Count: > 0 } s ? s : [-1];
                tensors.Add(new TensorMetadata(name, type, shape));
            }
            else
            {
                var type = FromColumnType(field.Type) ?? throw new NotSupportedException(
                    $"The signature's {side} column '{name}' has type '{field.Type}', which has no Open Inference Protocol datatype.");
                tensors.Add(new TensorMetadata(name, type, [-1]));
            }
        }

        return tensors;
    }

    private static long? TorchSharpWidth(ModelManifest manifest, string setting) =>
        manifest.Flavors.TryGetValue("torchsharp", out var settings) && settings[setting] is { } node && node.GetValue<long>() is var width and > 0
            ? width
            : null;
}
