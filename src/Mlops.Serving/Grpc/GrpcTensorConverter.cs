using Google.Protobuf;
using Google.Protobuf.Collections;
using Mlops.Serving.Grpc.Protocol;
using Mlops.Serving.Inference;
using Mlops.Serving.Protocol;

namespace Mlops.Serving.Grpc;

/// <summary>
/// Translates the gRPC messages to the contract's types and back. Inputs come either as typed
/// <c>InferTensorContents</c> (the field of the datatype only: INT8–INT32 in <c>int_contents</c>, range-checked,
/// UINT8–UINT32 in <c>uint_contents</c>…) or all as <c>raw_input_contents</c>, one entry per input; outputs go raw when
/// the request came raw (as Triton answers) or when an output is FP16, which has no typed field.
/// </summary>
internal static class GrpcTensorConverter
{
    public static InferenceRequest ToRequest(ModelInferRequest request)
    {
        var raw = request.RawInputContents.Count > 0;
        if (raw && request.RawInputContents.Count != request.Inputs.Count)
        {
            throw InferenceException.InvalidRequest(
                $"raw_input_contents has {request.RawInputContents.Count} entries but the request has {request.Inputs.Count} inputs: send one entry per input, in the order of the inputs.");
        }

        var inputs = new InferenceTensor[request.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var input = request.Inputs[i];
            if (string.IsNullOrEmpty(input.Name))
            {
                throw InferenceException.InvalidRequest($"input {i} has no name.");
            }

            var what = $"input '{input.Name}'";
            for (var j = 0; j < i; j++)
            {
                if (inputs[j].Name == input.Name)
                {
                    throw InferenceException.InvalidRequest($"{what} appears more than once in inputs.");
                }
            }

            if (!TensorDataTypes.TryParse(input.Datatype, out var type))
            {
                throw InferenceException.InvalidRequest(
                    $"{what} has datatype '{input.Datatype}'; expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES.");
            }

            var shape = new long[input.Shape.Count];
            input.Shape.CopyTo(shape, 0);
            var count = TensorBinaryCodec.ElementCount(what, shape);
            Array data;
            if (raw)
            {
                if (input.Contents is not null)
                {
                    throw InferenceException.InvalidRequest($"{what} has contents but the request uses raw_input_contents: send every input one way or the other.");
                }

                data = TensorBinaryCodec.Decode(what, type, shape, count, request.RawInputContents[i].Span);
            }
            else
            {
                data = FromContents(what, type, shape, count, input.Contents);
            }

            inputs[i] = new InferenceTensor(input.Name, type, shape, data, ToDictionary(input.Parameters));
        }

        List<RequestedOutput>? outputs = null;
        foreach (var output in request.Outputs)
        {
            if (string.IsNullOrEmpty(output.Name))
            {
                throw InferenceException.InvalidRequest($"requested output {outputs?.Count ?? 0} has no name.");
            }

            outputs ??= [];
            if (outputs.Exists(o => o.Name == output.Name))
            {
                throw InferenceException.InvalidRequest($"output '{output.Name}' is requested more than once.");
            }

            outputs.Add(new RequestedOutput(output.Name, ToDictionary(output.Parameters)));
        }

        return new InferenceRequest(inputs, string.IsNullOrEmpty(request.Id) ? null : request.Id, outputs, ToDictionary(request.Parameters));
    }

    public static ModelInferResponse ToResponse(InferenceResponse response, InferenceRequest request, bool requestWasRaw)
    {
        var raw = requestWasRaw;
        foreach (var output in response.Outputs)
        {
            raw |= output.Datatype == TensorDataType.Fp16;
        }

        var message = new ModelInferResponse
        {
            ModelName = response.ModelName,
            ModelVersion = response.ModelVersion ?? string.Empty,
            Id = response.Id ?? request.Id ?? string.Empty,
        };
        AddParameters(message.Parameters, response.Parameters);
        foreach (var output in response.Outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = output.Datatype.ToProtocolName() };
            foreach (var dimension in output.Shape)
            {
                tensor.Shape.Add(dimension);
            }

            AddParameters(tensor.Parameters, output.Parameters);
            if (raw)
            {
                message.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(TensorBinaryCodec.Encode(output)));
            }
            else
            {
                tensor.Contents = ToContents(output);
            }

            message.Outputs.Add(tensor);
        }

        return message;
    }

    public static Dictionary<string, object?>? ToDictionary(MapField<string, InferParameter> parameters)
    {
        if (parameters.Count == 0)
        {
            return null;
        }

        var values = new Dictionary<string, object?>(parameters.Count, StringComparer.Ordinal);
        foreach (var (name, parameter) in parameters)
        {
            values[name] = parameter.ParameterChoiceCase switch
            {
                InferParameter.ParameterChoiceOneofCase.BoolParam => parameter.BoolParam,
                InferParameter.ParameterChoiceOneofCase.Int64Param => parameter.Int64Param,
                InferParameter.ParameterChoiceOneofCase.StringParam => parameter.StringParam,
                InferParameter.ParameterChoiceOneofCase.DoubleParam => parameter.DoubleParam,
                InferParameter.ParameterChoiceOneofCase.Uint64Param => parameter.Uint64Param,
                _ => null,
            };
        }

        return values;
    }

    public static void AddParameters(MapField<string, InferParameter> target, IReadOnlyDictionary<string, object?>? parameters)
    {
        if (parameters is null)
        {
            return;
        }

        foreach (var (name, value) in parameters)
        {
            target[name] = value switch
            {
                null => new InferParameter(),
                bool b => new InferParameter { BoolParam = b },
                string s => new InferParameter { StringParam = s },
                long l => new InferParameter { Int64Param = l },
                int i => new InferParameter { Int64Param = i },
                short s => new InferParameter { Int64Param = s },
                sbyte s => new InferParameter { Int64Param = s },
                ulong u => new InferParameter { Uint64Param = u },
                uint u => new InferParameter { Int64Param = u },
                ushort u => new InferParameter { Int64Param = u },
                byte u => new InferParameter { Int64Param = u },
                double d => new InferParameter { DoubleParam = d },
                float f => new InferParameter { DoubleParam = f },
                IFormattable f => new InferParameter { StringParam = f.ToString(null, System.Globalization.CultureInfo.InvariantCulture) },
                _ => new InferParameter { StringParam = value.ToString() ?? string.Empty },
            };
        }
    }

    private static Array FromContents(string what, TensorDataType type, long[] shape, long count, InferTensorContents? contents)
    {
        if (contents is null)
        {
            if (count == 0)
            {
                return Array.CreateInstance(type.ElementType(), 0);
            }

            throw InferenceException.InvalidRequest($"{what} has no contents (and the request has no raw_input_contents).");
        }

        if (type == TensorDataType.Fp16)
        {
            throw InferenceException.InvalidRequest($"{what} is FP16, which has no typed contents field: send it in raw_input_contents.");
        }

        var field = FieldOf(type);
        foreach (var (name, length) in Fields(contents))
        {
            if (length > 0 && name != field)
            {
                throw InferenceException.InvalidRequest($"{what} is {type.ToProtocolName()} but carries {name}; its elements go in {field}.");
            }
        }

        return type switch
        {
            TensorDataType.Bool => Copy(what, shape, count, field, contents.BoolContents),
            TensorDataType.Int32 => Copy(what, shape, count, field, contents.IntContents),
            TensorDataType.Int64 => Copy(what, shape, count, field, contents.Int64Contents),
            TensorDataType.UInt32 => Copy(what, shape, count, field, contents.UintContents),
            TensorDataType.UInt64 => Copy(what, shape, count, field, contents.Uint64Contents),
            TensorDataType.Fp32 => Copy(what, shape, count, field, contents.Fp32Contents),
            TensorDataType.Fp64 => Copy(what, shape, count, field, contents.Fp64Contents),
            TensorDataType.Int8 => Narrow<sbyte>(what, type, Copy(what, shape, count, field, contents.IntContents), sbyte.MinValue, sbyte.MaxValue),
            TensorDataType.Int16 => Narrow<short>(what, type, Copy(what, shape, count, field, contents.IntContents), short.MinValue, short.MaxValue),
            TensorDataType.UInt8 => NarrowUnsigned<byte>(what, type, Copy(what, shape, count, field, contents.UintContents), byte.MaxValue),
            TensorDataType.UInt16 => NarrowUnsigned<ushort>(what, type, Copy(what, shape, count, field, contents.UintContents), ushort.MaxValue),
            TensorDataType.Bytes => CopyBytes(what, shape, count, field, contents.BytesContents),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    private static InferTensorContents ToContents(InferenceTensor tensor)
    {
        var contents = new InferTensorContents();

        // On the datatype, not the array's runtime type: the CLR lets an sbyte[] pass for a byte[] (int[] for uint[]...).
        switch (tensor.Datatype, tensor.Data)
        {
            case (TensorDataType.Bool, bool[] a): contents.BoolContents.AddRange(a); break;
            case (TensorDataType.Int8, sbyte[] a): foreach (var v in a) { contents.IntContents.Add(v); } break;
            case (TensorDataType.Int16, short[] a): foreach (var v in a) { contents.IntContents.Add(v); } break;
            case (TensorDataType.Int32, int[] a): contents.IntContents.AddRange(a); break;
            case (TensorDataType.Int64, long[] a): contents.Int64Contents.AddRange(a); break;
            case (TensorDataType.UInt8, byte[] a): foreach (var v in a) { contents.UintContents.Add(v); } break;
            case (TensorDataType.UInt16, ushort[] a): foreach (var v in a) { contents.UintContents.Add(v); } break;
            case (TensorDataType.UInt32, uint[] a): contents.UintContents.AddRange(a); break;
            case (TensorDataType.UInt64, ulong[] a): contents.Uint64Contents.AddRange(a); break;
            case (TensorDataType.Fp32, float[] a): contents.Fp32Contents.AddRange(a); break;
            case (TensorDataType.Fp64, double[] a): contents.Fp64Contents.AddRange(a); break;
            case (TensorDataType.Bytes, byte[][] a): foreach (var v in a) { contents.BytesContents.Add(ByteString.CopyFrom(v)); } break;
            default: throw new InvalidOperationException($"Tensor '{tensor.Name}' holds {tensor.Data.GetType().Name}, which has no typed contents field.");
        }

        return contents;
    }

    private static string FieldOf(TensorDataType type) => type switch
    {
        TensorDataType.Bool => "bool_contents",
        TensorDataType.Int8 or TensorDataType.Int16 or TensorDataType.Int32 => "int_contents",
        TensorDataType.Int64 => "int64_contents",
        TensorDataType.UInt8 or TensorDataType.UInt16 or TensorDataType.UInt32 => "uint_contents",
        TensorDataType.UInt64 => "uint64_contents",
        TensorDataType.Fp32 => "fp32_contents",
        TensorDataType.Fp64 => "fp64_contents",
        _ => "bytes_contents",
    };

    private static (string Name, int Length)[] Fields(InferTensorContents c) =>
    [
        ("bool_contents", c.BoolContents.Count), ("int_contents", c.IntContents.Count), ("int64_contents", c.Int64Contents.Count),
        ("uint_contents", c.UintContents.Count), ("uint64_contents", c.Uint64Contents.Count), ("fp32_contents", c.Fp32Contents.Count),
        ("fp64_contents", c.Fp64Contents.Count), ("bytes_contents", c.BytesContents.Count),
    ];

    private static T[] Copy<T>(string what, long[] shape, long count, string field, RepeatedField<T> values)
    {
        if (values.Count != count)
        {
            throw InferenceException.InvalidRequest(
                $"{what}: shape {TensorBinaryCodec.Format(shape)} needs {count} elements but {field} has {values.Count}.");
        }

        var array = new T[values.Count];
        values.CopyTo(array, 0);
        return array;
    }

    private static T[] Narrow<T>(string what, TensorDataType type, int[] values, int min, int max)
        where T : struct, System.Numerics.INumber<T>
    {
        var array = new T[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max)
            {
                throw InferenceException.InvalidRequest($"{what}: element {i} is {values[i]}; {type.ToProtocolName()} expects an integer in [{min}, {max}].");
            }

            array[i] = T.CreateTruncating(values[i]);
        }

        return array;
    }

    private static T[] NarrowUnsigned<T>(string what, TensorDataType type, uint[] values, uint max)
        where T : struct, System.Numerics.INumber<T>
    {
        var array = new T[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] > max)
            {
                throw InferenceException.InvalidRequest($"{what}: element {i} is {values[i]}; {type.ToProtocolName()} expects an integer in [0, {max}].");
            }

            array[i] = T.CreateTruncating(values[i]);
        }

        return array;
    }

    private static byte[][] CopyBytes(string what, long[] shape, long count, string field, RepeatedField<ByteString> values)
    {
        var strings = Copy(what, shape, count, field, values);
        var array = new byte[strings.Length][];
        for (var i = 0; i < strings.Length; i++)
        {
            array[i] = strings[i].ToByteArray();
        }

        return array;
    }
}
