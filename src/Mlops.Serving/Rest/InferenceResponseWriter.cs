using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Mlops.Serving.Inference;
using Mlops.Serving.Protocol;

namespace Mlops.Serving.Rest;

/// <summary>
/// Writes an <c>$inference_response</c> with <see cref="Utf8JsonWriter"/>: outputs flat and row-major, FP16 in its
/// shortest round-trip form, non-finite floats as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>
/// (JSON has no literal for them), BYTES as UTF-8 strings. An output the request asked for in binary
/// (<c>binary_data: true</c> on it, or <c>binary_data_output: true</c> on the request) gets <c>binary_data_size</c>
/// instead of <c>data</c>, and its bytes follow the JSON.
/// </summary>
internal static class InferenceResponseWriter
{
    public const string BinaryData = "binary_data";
    public const string BinaryDataOutput = "binary_data_output";
    public const string BinaryDataSize = "binary_data_size";

    // The body is application/json, never HTML: non-ASCII text stays UTF-8 instead of \u escapes.
    internal static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Writes the JSON of a response; returns the outputs whose bytes must follow it, in order, or null for none.</summary>
    /// <exception cref="InferenceException">An output asked for in JSON holds BYTES that are not UTF-8, which JSON cannot carry.</exception>
    public static List<InferenceTensor>? Write(IBufferWriter<byte> buffer, InferenceResponse response, InferenceRequest request)
    {
        var binaryByDefault = IsTrue(request.Parameters, BinaryDataOutput);
        List<InferenceTensor>? binary = null;
        using var writer = new Utf8JsonWriter(buffer, Options);
        writer.WriteStartObject();
        writer.WriteString("model_name"u8, response.ModelName);
        if (response.ModelVersion is { } version)
        {
            writer.WriteString("model_version"u8, version);
        }

        if ((response.Id ?? request.Id) is { } id)
        {
            writer.WriteString("id"u8, id);
        }

        if (response.Parameters is { Count: > 0 } parameters)
        {
            writer.WriteStartObject("parameters"u8);
            JsonParameters.Write(writer, parameters);
            writer.WriteEndObject();
        }

        writer.WriteStartArray("outputs"u8);
        foreach (var output in response.Outputs)
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, output.Name);
            writer.WriteString("datatype"u8, output.Datatype.ToProtocolName());
            writer.WriteStartArray("shape"u8);
            foreach (var dimension in output.Shape)
            {
                writer.WriteNumberValue(dimension);
            }

            writer.WriteEndArray();
            if (IsBinary(output.Name, request, binaryByDefault))
            {
                writer.WriteStartObject("parameters"u8);
                if (output.Parameters is { } own)
                {
                    JsonParameters.Write(writer, own, BinaryDataSize);
                }

                writer.WriteNumber("binary_data_size"u8, TensorBinaryCodec.EncodedLength(output));
                writer.WriteEndObject();
                (binary ??= []).Add(output);
            }
            else
            {
                if (output.Parameters is { Count: > 0 } own)
                {
                    writer.WriteStartObject("parameters"u8);
                    JsonParameters.Write(writer, own);
                    writer.WriteEndObject();
                }

                writer.WritePropertyName("data"u8);
                WriteData(writer, output);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return binary;
    }

    internal static bool IsTrue(IReadOnlyDictionary<string, object?>? parameters, string name) =>
        parameters is not null && parameters.TryGetValue(name, out var value) && value is true;

    private static bool IsBinary(string output, InferenceRequest request, bool binaryByDefault)
    {
        if (request.Outputs is { } requested)
        {
            foreach (var r in requested)
            {
                if (r.Name == output && r.Parameters is not null && r.Parameters.TryGetValue(BinaryData, out var value) && value is bool flag)
                {
                    return flag;
                }
            }
        }

        return binaryByDefault;
    }

    private static void WriteData(Utf8JsonWriter writer, InferenceTensor tensor)
    {
        writer.WriteStartArray();

        // On the datatype, not the array's runtime type: the CLR lets an sbyte[] pass for a byte[] (int[] for uint[]...).
        switch (tensor.Datatype, tensor.Data)
        {
            case (TensorDataType.Fp32, float[] a):
                foreach (var v in a)
                {
                    if (float.IsFinite(v))
                    {
                        writer.WriteNumberValue(v);
                    }
                    else
                    {
                        WriteNonFinite(writer, v);
                    }
                }

                break;
            case (TensorDataType.Fp64, double[] a):
                foreach (var v in a)
                {
                    if (double.IsFinite(v))
                    {
                        writer.WriteNumberValue(v);
                    }
                    else
                    {
                        WriteNonFinite(writer, v);
                    }
                }

                break;
            case (TensorDataType.Fp16, Half[] a):
                Span<byte> text = stackalloc byte[32];
                foreach (var v in a)
                {
                    if (Half.IsFinite(v) && v.TryFormat(text, out var written, default, CultureInfo.InvariantCulture))
                    {
                        writer.WriteRawValue(text[..written], skipInputValidation: true);
                    }
                    else
                    {
                        WriteNonFinite(writer, (double)v);
                    }
                }

                break;
            case (TensorDataType.Bool, bool[] a):
                foreach (var v in a)
                {
                    writer.WriteBooleanValue(v);
                }

                break;
            case (TensorDataType.UInt8, byte[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.Int8, sbyte[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.UInt16, ushort[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.Int16, short[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.UInt32, uint[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.Int32, int[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.UInt64, ulong[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.Int64, long[] a):
                foreach (var v in a)
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case (TensorDataType.Bytes, byte[][] a):
                for (var i = 0; i < a.Length; i++)
                {
                    if (!Utf8.IsValid(a[i]))
                    {
                        throw InferenceException.InvalidRequest(
                            $"output '{tensor.Name}' element {i} is not UTF-8 text, which JSON cannot carry; ask for the output in binary (\"parameters\": {{\"binary_data\": true}}).");
                    }

                    writer.WriteStringValue(a[i]);
                }

                break;
            default:
                throw new InvalidOperationException($"Tensor '{tensor.Name}' holds {tensor.Data.GetType().Name}, not a protocol element type.");
        }

        writer.WriteEndArray();
    }

    private static void WriteNonFinite(Utf8JsonWriter writer, double value) =>
        writer.WriteStringValue(double.IsNaN(value) ? "NaN"u8 : value > 0 ? "Infinity"u8 : "-Infinity"u8);
}
