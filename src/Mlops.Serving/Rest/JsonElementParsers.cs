using System.Text.Json;
using System.Text.Unicode;

namespace Mlops.Serving.Rest;

/// <summary>
/// Reads one JSON tensor element as its datatype's .NET type, without boxing: each parser is a struct the JIT
/// specialises <see cref="TensorJsonReader"/> for. Integers are range-checked by the reader's <c>TryGetXxx</c> (a
/// fraction or an out-of-range value fails); floats accept numbers and the strings <c>"NaN"</c>, <c>"Infinity"</c>,
/// <c>"-Infinity"</c> (JSON has no literal for them, and the writer emits the same strings).
/// </summary>
internal interface IJsonElementParser<T>
{
    /// <summary>What the element must be, for the error message.</summary>
    static abstract string Expected { get; }

    static abstract bool TryParse(ref Utf8JsonReader reader, out T value);
}

internal readonly struct BoolElement : IJsonElementParser<bool>
{
    public static string Expected => "true or false";

    public static bool TryParse(ref Utf8JsonReader reader, out bool value)
    {
        value = reader.TokenType == JsonTokenType.True;
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
    }
}

internal readonly struct UInt8Element : IJsonElementParser<byte>
{
    public static string Expected => "an integer in [0, 255]";

    public static bool TryParse(ref Utf8JsonReader reader, out byte value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetByte(out value);
    }
}

internal readonly struct UInt16Element : IJsonElementParser<ushort>
{
    public static string Expected => "an integer in [0, 65535]";

    public static bool TryParse(ref Utf8JsonReader reader, out ushort value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetUInt16(out value);
    }
}

internal readonly struct UInt32Element : IJsonElementParser<uint>
{
    public static string Expected => "an integer in [0, 4294967295]";

    public static bool TryParse(ref Utf8JsonReader reader, out uint value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out value);
    }
}

internal readonly struct UInt64Element : IJsonElementParser<ulong>
{
    public static string Expected => "an integer in [0, 18446744073709551615]";

    public static bool TryParse(ref Utf8JsonReader reader, out ulong value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out value);
    }
}

internal readonly struct Int8Element : IJsonElementParser<sbyte>
{
    public static string Expected => "an integer in [-128, 127]";

    public static bool TryParse(ref Utf8JsonReader reader, out sbyte value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetSByte(out value);
    }
}

internal readonly struct Int16Element : IJsonElementParser<short>
{
    public static string Expected => "an integer in [-32768, 32767]";

    public static bool TryParse(ref Utf8JsonReader reader, out short value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt16(out value);
    }
}

internal readonly struct Int32Element : IJsonElementParser<int>
{
    public static string Expected => "an integer in [-2147483648, 2147483647]";

    public static bool TryParse(ref Utf8JsonReader reader, out int value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out value);
    }
}

internal readonly struct Int64Element : IJsonElementParser<long>
{
    public static string Expected => "an integer in [-9223372036854775808, 9223372036854775807]";

    public static bool TryParse(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
    }
}

internal readonly struct Fp16Element : IJsonElementParser<Half>
{
    public static string Expected => "a number within FP16's range (±65504), or \"NaN\", \"Infinity\", \"-Infinity\"";

    public static bool TryParse(ref Utf8JsonReader reader, out Half value)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            // A finite number beyond FP16's range would round to infinity: refuse it rather than change it.
            var isNumber = reader.TryGetSingle(out var number);
            value = (Half)number;
            return isNumber && !Half.IsInfinity(value);
        }

        var parsed = Fp64Element.TryParseNonFinite(ref reader, out var special);
        value = (Half)special;
        return parsed;
    }
}

internal readonly struct Fp32Element : IJsonElementParser<float>
{
    public static string Expected => "a number within FP32's range, or \"NaN\", \"Infinity\", \"-Infinity\"";

    public static bool TryParse(ref Utf8JsonReader reader, out float value)
    {
        // A number beyond the range parses as infinity: refuse it rather than change it.
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.TryGetSingle(out value) && float.IsFinite(value);
        }

        var parsed = Fp64Element.TryParseNonFinite(ref reader, out var special);
        value = (float)special;
        return parsed;
    }
}

internal readonly struct Fp64Element : IJsonElementParser<double>
{
    public static string Expected => "a number within FP64's range, or \"NaN\", \"Infinity\", \"-Infinity\"";

    public static bool TryParse(ref Utf8JsonReader reader, out double value) =>
        reader.TokenType == JsonTokenType.Number ? reader.TryGetDouble(out value) && double.IsFinite(value) : TryParseNonFinite(ref reader, out value);

    /// <summary>The strings that stand for the values JSON numbers cannot write.</summary>
    internal static bool TryParseNonFinite(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        if (reader.ValueTextEquals("NaN"u8))
        {
            value = double.NaN;
        }
        else if (reader.ValueTextEquals("Infinity"u8))
        {
            value = double.PositiveInfinity;
        }
        else if (reader.ValueTextEquals("-Infinity"u8))
        {
            value = double.NegativeInfinity;
        }
        else
        {
            return false;
        }

        return true;
    }
}

internal readonly struct BytesElement : IJsonElementParser<byte[]>
{
    public static string Expected => "a string (its UTF-8 bytes are the element)";

    public static bool TryParse(ref Utf8JsonReader reader, out byte[] value)
    {
        value = [];
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        if (!reader.ValueIsEscaped)
        {
            value = reader.ValueSpan.ToArray();
            return Utf8.IsValid(value);
        }

        // Unescaped text is never longer than its escaped form; CopyString throws on an escaped lone surrogate.
        var buffer = new byte[reader.ValueSpan.Length];
        try
        {
            var written = reader.CopyString(buffer);
            value = buffer.AsSpan(0, written).ToArray();
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        return Utf8.IsValid(value);
    }
}
