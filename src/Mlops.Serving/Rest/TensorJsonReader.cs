using System.Text;
using System.Text.Json;
using Mlops.Serving.Inference;
using Mlops.Serving.Protocol;

namespace Mlops.Serving.Rest;

/// <summary>
/// Reads a tensor's JSON <c>data</c> straight into the typed array of its datatype. The data is row-major, flat
/// (<c>[1,2,3,4]</c> for shape [2,2]) or nested exactly as the shape (<c>[[1,2],[3,4]]</c>); a nesting that matches
/// neither, a count that differs from the shape's, or an element of the wrong type or range is an invalid request
/// naming the input, the element and what was expected.
/// </summary>
internal static class TensorJsonReader
{
    /// <summary>Reads the data value the reader is positioned on.</summary>
    /// <param name="reader">Positioned on the first token of the <c>data</c> value.</param>
    /// <param name="what">The tensor in messages, such as <c>input 'x'</c>.</param>
    /// <param name="type">Its datatype.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="count">The elements the shape holds.</param>
    /// <param name="jsonLength">The JSON's length in bytes, which bounds the elements it can hold.</param>
    public static Array Read(ref Utf8JsonReader reader, string what, TensorDataType type, long[] shape, long count, int jsonLength)
    {
        // Every JSON element takes at least one byte: a larger shape cannot be matched by the data, and refusing it
        // here keeps a lying shape from allocating memory.
        if (count > jsonLength)
        {
            throw InferenceException.InvalidRequest(
                $"{what}: shape {TensorBinaryCodec.Format(shape)} needs {count} elements, more than the {jsonLength}-byte JSON body can hold.");
        }

        return type switch
        {
            TensorDataType.Bool => Walk<bool, BoolElement>(ref reader, what, type, shape, count),
            TensorDataType.UInt8 => Walk<byte, UInt8Element>(ref reader, what, type, shape, count),
            TensorDataType.UInt16 => Walk<ushort, UInt16Element>(ref reader, what, type, shape, count),
            TensorDataType.UInt32 => Walk<uint, UInt32Element>(ref reader, what, type, shape, count),
            TensorDataType.UInt64 => Walk<ulong, UInt64Element>(ref reader, what, type, shape, count),
            TensorDataType.Int8 => Walk<sbyte, Int8Element>(ref reader, what, type, shape, count),
            TensorDataType.Int16 => Walk<short, Int16Element>(ref reader, what, type, shape, count),
            TensorDataType.Int32 => Walk<int, Int32Element>(ref reader, what, type, shape, count),
            TensorDataType.Int64 => Walk<long, Int64Element>(ref reader, what, type, shape, count),
            TensorDataType.Fp16 => Walk<Half, Fp16Element>(ref reader, what, type, shape, count),
            TensorDataType.Fp32 => Walk<float, Fp32Element>(ref reader, what, type, shape, count),
            TensorDataType.Fp64 => Walk<double, Fp64Element>(ref reader, what, type, shape, count),
            TensorDataType.Bytes => Walk<byte[], BytesElement>(ref reader, what, type, shape, count),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    /// <summary>A token for a message: the number or string as sent (shortened), or what kind of value it is.</summary>
    public static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => Shorten(Encoding.UTF8.GetString(reader.ValueSpan)),
        JsonTokenType.String => "the string \"" + Shorten(Encoding.UTF8.GetString(reader.ValueSpan)) + "\"",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => reader.TokenType.ToString(),
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";

    private static T[] Walk<T, TParser>(ref Utf8JsonReader reader, string what, TensorDataType type, long[] shape, long count)
        where TParser : struct, IJsonElementParser<T>
    {
        var data = count == 0 ? [] : new T[count];
        long index = 0;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            // A bare value is a tensor of one element (shape [] or [1]).
            if (count != 1 || reader.TokenType == JsonTokenType.StartObject)
            {
                throw InferenceException.InvalidRequest(
                    $"{what}: 'data' must be an array of the elements, flat or nested as shape {TensorBinaryCodec.Format(shape)}; got {Describe(ref reader)}.");
            }

            ReadElement<T, TParser>(ref reader, what, type, data, index);
            return data;
        }

        var rank = shape.Length;
        var maxDepth = Math.Max(rank, 1);
        Span<long> seen = maxDepth < 32 ? stackalloc long[maxDepth + 1] : new long[maxDepth + 1];
        var depth = 0;
        var leafDepth = 0;
        while (true)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    if ((leafDepth != 0 && depth >= leafDepth) || depth == maxDepth)
                    {
                        throw NestingMismatch(what, shape);
                    }

                    if (depth > 0)
                    {
                        seen[depth]++;
                    }

                    depth++;
                    seen[depth] = 0;
                    break;
                case JsonTokenType.EndArray:
                    // Nested data must have the shape's length at every level; flat data is checked by its count.
                    if (leafDepth > 1 && seen[depth] != shape[depth - 1])
                    {
                        throw InferenceException.InvalidRequest(
                            $"{what}: 'data' has {seen[depth]} entries at nesting level {depth}, but shape {TensorBinaryCodec.Format(shape)} has {shape[depth - 1]} there.");
                    }

                    depth--;
                    break;
                default:
                    if (leafDepth == 0)
                    {
                        if (depth != 1 && depth != rank)
                        {
                            throw NestingMismatch(what, shape);
                        }

                        leafDepth = depth;
                    }
                    else if (depth != leafDepth)
                    {
                        throw NestingMismatch(what, shape);
                    }

                    if (index >= count)
                    {
                        throw InferenceException.InvalidRequest(
                            $"{what}: 'data' has more than the {count} elements of shape {TensorBinaryCodec.Format(shape)}.");
                    }

                    seen[depth]++;
                    ReadElement<T, TParser>(ref reader, what, type, data, index);
                    index++;
                    break;
            }

            if (depth == 0)
            {
                break;
            }

            reader.Read();
        }

        if (index != count)
        {
            throw InferenceException.InvalidRequest(
                $"{what}: shape {TensorBinaryCodec.Format(shape)} needs {count} elements but 'data' has {index}.");
        }

        return data;
    }

    private static void ReadElement<T, TParser>(ref Utf8JsonReader reader, string what, TensorDataType type, T[] data, long index)
        where TParser : struct, IJsonElementParser<T>
    {
        if (!TParser.TryParse(ref reader, out data[index]))
        {
            throw InferenceException.InvalidRequest(
                $"{what}: element {index} is {Describe(ref reader)}; {type.ToProtocolName()} expects {TParser.Expected}.");
        }
    }

    private static InferenceException NestingMismatch(string what, long[] shape) => InferenceException.InvalidRequest(
        $"{what}: 'data' is nested neither flat nor as shape {TensorBinaryCodec.Format(shape)} ({shape.Length} levels): send the elements in one flat array or nest them exactly as the shape.");
}
