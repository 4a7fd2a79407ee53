using System.Text.Json;
using Mlops.Serving.Inference;
using Mlops.Serving.Protocol;

namespace Mlops.Serving.Rest;

/// <summary>
/// Parses an <c>$inference_request</c> with <see cref="Utf8JsonReader"/> straight into typed tensors: <c>id</c>,
/// <c>parameters</c>, <c>inputs</c> (JSON <c>data</c>, or binary data after the JSON when an input carries
/// <c>binary_data_size</c>, the binary tensor data extension) and requested <c>outputs</c>. Properties may come in any
/// order; unknown properties are ignored (clients send <c>model_name</c>, for one); every fault is an invalid request
/// that names the input and what was expected.
/// </summary>
internal static class InferenceRequestReader
{
    private const string BinaryDataSize = "binary_data_size";

    private static readonly JsonReaderOptions s_options = new() { MaxDepth = 64 };

    /// <summary>Parses a request.</summary>
    /// <param name="json">The JSON header (the whole body without the binary extension).</param>
    /// <param name="binary">The bytes after the JSON header: the binary tensors, in input order.</param>
    /// <param name="hasBinary">Whether the request framed binary data (an <c>Inference-Header-Content-Length</c> header).</param>
    public static InferenceRequest Read(ReadOnlySpan<byte> json, ReadOnlySpan<byte> binary, bool hasBinary)
    {
        var reader = new Utf8JsonReader(json, s_options);
        try
        {
            return ReadRequest(ref reader, json.Length, binary, hasBinary);
        }
        catch (JsonException e)
        {
            throw InferenceException.InvalidRequest("the request is not valid JSON: " + e.Message);
        }
        catch (InvalidOperationException e)
        {
            // GetString on text that is not valid UTF-8 (or an escaped lone surrogate).
            throw InferenceException.InvalidRequest("the request holds a string that is not valid UTF-8: " + e.Message);
        }
    }

    private static InferenceRequest ReadRequest(ref Utf8JsonReader reader, int jsonLength, ReadOnlySpan<byte> binary, bool hasBinary)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw InferenceException.InvalidRequest("the request body must be a JSON object (an $inference_request with 'inputs').");
        }

        string? id = null;
        Dictionary<string, object?>? parameters = null;
        List<InferenceTensor>? inputs = null;
        List<RequestedOutput>? outputs = null;
        var seen = 0;
        var binaryOffset = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                Once(ref seen, 1, "id");
                reader.Read();
                id = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString(),
                    JsonTokenType.Null => null,
                    _ => throw InferenceException.InvalidRequest($"the request's 'id' must be a string; got {TensorJsonReader.Describe(ref reader)}."),
                };
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                Once(ref seen, 2, "parameters");
                parameters = JsonParameters.Read(ref reader, "the request");
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                Once(ref seen, 4, "inputs");
                inputs = ReadInputs(ref reader, jsonLength, binary, hasBinary, ref binaryOffset);
            }
            else if (reader.ValueTextEquals("outputs"u8))
            {
                Once(ref seen, 8, "outputs");
                outputs = ReadOutputs(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.Read())
        {
            throw InferenceException.InvalidRequest("the request body holds more than one JSON value.");
        }

        if (inputs is null)
        {
            throw InferenceException.InvalidRequest("the request has no 'inputs'.");
        }

        if (hasBinary && binaryOffset != binary.Length)
        {
            throw InferenceException.InvalidRequest(
                $"the request carries {binary.Length} bytes of binary data after its JSON header, but the inputs' binary_data_size add up to {binaryOffset}.");
        }

        return new InferenceRequest(inputs, id, outputs, parameters);
    }

    private static List<InferenceTensor> ReadInputs(ref Utf8JsonReader reader, int jsonLength, ReadOnlySpan<byte> binary, bool hasBinary, ref int binaryOffset)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw InferenceException.InvalidRequest($"the request's 'inputs' must be an array of tensors; got {TensorJsonReader.Describe(ref reader)}.");
        }

        var inputs = new List<InferenceTensor>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw InferenceException.InvalidRequest($"input {inputs.Count} must be an object (name, shape, datatype, data); got {TensorJsonReader.Describe(ref reader)}.");
            }

            var input = ReadInput(ref reader, inputs.Count, jsonLength, binary, hasBinary, ref binaryOffset);
            foreach (var other in inputs)
            {
                if (other.Name == input.Name)
                {
                    throw InferenceException.InvalidRequest($"input '{input.Name}' appears more than once in 'inputs'.");
                }
            }

            inputs.Add(input);
        }

        return inputs;
    }

    private static InferenceTensor ReadInput(ref Utf8JsonReader reader, int index, int jsonLength, ReadOnlySpan<byte> binary, bool hasBinary, ref int binaryOffset)
    {
        string? name = null;
        string? datatype = null;
        long[]? shape = null;
        Dictionary<string, object?>? parameters = null;
        var hasData = false;
        Utf8JsonReader data = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                name = ReadString(ref reader, $"input {index}", "name");
            }
            else if (reader.ValueTextEquals("datatype"u8))
            {
                datatype = ReadString(ref reader, Describe(name, index), "datatype");
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                shape = ReadShape(ref reader, Describe(name, index));
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                parameters = JsonParameters.Read(ref reader, Describe(name, index));
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                // The datatype and shape may come after the data: keep a copy of the reader on it, parse it last.
                reader.Read();
                data = reader;
                hasData = true;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (name is null)
        {
            throw InferenceException.InvalidRequest($"input {index} has no 'name'.");
        }

        var what = $"input '{name}'";
        if (datatype is null)
        {
            throw InferenceException.InvalidRequest($"{what} has no 'datatype'.");
        }

        if (!TensorDataTypes.TryParse(datatype, out var type))
        {
            throw InferenceException.InvalidRequest(
                $"{what} has datatype '{datatype}'; expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES.");
        }

        if (shape is null)
        {
            throw InferenceException.InvalidRequest($"{what} has no 'shape'.");
        }

        var count = TensorBinaryCodec.ElementCount(what, shape);
        Array elements;
        if (parameters is not null && parameters.TryGetValue(BinaryDataSize, out var sizeValue))
        {
            elements = ReadBinary(what, type, shape, count, sizeValue, hasData, binary, hasBinary, ref binaryOffset);
        }
        else if (hasData)
        {
            elements = TensorJsonReader.Read(ref data, what, type, shape, count, jsonLength);
        }
        else
        {
            throw InferenceException.InvalidRequest($"{what} has no 'data' (nor a binary_data_size parameter for binary data).");
        }

        return new InferenceTensor(name, type, shape, elements, parameters);
    }

    private static Array ReadBinary(string what, TensorDataType type, long[] shape, long count, object? sizeValue, bool hasData, ReadOnlySpan<byte> binary, bool hasBinary, ref int binaryOffset)
    {
        if (sizeValue is not long size || size < 0)
        {
            throw InferenceException.InvalidRequest($"{what}: binary_data_size must be a non-negative integer; got {sizeValue ?? "null"}.");
        }

        if (hasData)
        {
            throw InferenceException.InvalidRequest($"{what} has both 'data' and binary_data_size; send one or the other.");
        }

        if (!hasBinary)
        {
            throw InferenceException.InvalidRequest(
                $"{what} has binary_data_size {size} but the request carries no binary data: set the Inference-Header-Content-Length header to the length of the JSON header.");
        }

        if (size > binary.Length - binaryOffset)
        {
            throw InferenceException.InvalidRequest(
                $"{what}: binary_data_size {size} runs past the end of the body ({binary.Length - binaryOffset} bytes of binary data remain for it).");
        }

        var elements = TensorBinaryCodec.Decode(what, type, shape, count, binary.Slice(binaryOffset, (int)size));
        binaryOffset += (int)size;
        return elements;
    }

    private static List<RequestedOutput> ReadOutputs(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw InferenceException.InvalidRequest($"the request's 'outputs' must be an array; got {TensorJsonReader.Describe(ref reader)}.");
        }

        var outputs = new List<RequestedOutput>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw InferenceException.InvalidRequest($"requested output {outputs.Count} must be an object (name, parameters); got {TensorJsonReader.Describe(ref reader)}.");
            }

            string? name = null;
            Dictionary<string, object?>? parameters = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    name = ReadString(ref reader, $"requested output {outputs.Count}", "name");
                }
                else if (reader.ValueTextEquals("parameters"u8))
                {
                    parameters = JsonParameters.Read(ref reader, $"requested output {outputs.Count}");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (name is null)
            {
                throw InferenceException.InvalidRequest($"requested output {outputs.Count} has no 'name'.");
            }

            foreach (var other in outputs)
            {
                if (other.Name == name)
                {
                    throw InferenceException.InvalidRequest($"output '{name}' is requested more than once.");
                }
            }

            outputs.Add(new RequestedOutput(name, parameters));
        }

        return outputs;
    }

    private static long[] ReadShape(ref Utf8JsonReader reader, string what)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw InferenceException.InvalidRequest($"{what}: 'shape' must be an array of non-negative integers; got {TensorJsonReader.Describe(ref reader)}.");
        }

        var shape = new List<long>(4);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var dimension) || dimension < 0)
            {
                throw InferenceException.InvalidRequest(
                    $"{what}: dimension {shape.Count} of 'shape' is {TensorJsonReader.Describe(ref reader)}; dimensions are non-negative integers.");
            }

            shape.Add(dimension);
        }

        return [.. shape];
    }

    private static string ReadString(ref Utf8JsonReader reader, string what, string property)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw InferenceException.InvalidRequest($"{what}: '{property}' must be a string; got {TensorJsonReader.Describe(ref reader)}.");
        }

        return reader.GetString()!;
    }

    private static string Describe(string? name, int index) => name is null ? $"input {index}" : $"input '{name}'";

    private static void Once(ref int seen, int flag, string property)
    {
        if ((seen & flag) != 0)
        {
            throw InferenceException.InvalidRequest($"the request has '{property}' more than once.");
        }

        seen |= flag;
    }
}
