using System.Globalization;
using System.Text.Json;
using Mlops.Serving.Inference;

namespace Mlops.Serving.Rest;

/// <summary>
/// The protocol's <c>$parameters</c> objects: values are strings, booleans or numbers (an integer becomes a
/// <see cref="long"/>, or a <see cref="ulong"/> above <see cref="long.MaxValue"/>; any other number a
/// <see cref="double"/>) or null; an object or array value is an invalid request naming the parameter.
/// </summary>
internal static class JsonParameters
{
    /// <summary>Reads the value after the property name the reader is on: an object, or null.</summary>
    public static Dictionary<string, object?>? Read(ref Utf8JsonReader reader, string what)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw InferenceException.InvalidRequest($"{what}: 'parameters' must be an object; got {TensorJsonReader.Describe(ref reader)}.");
        }

        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            parameters[name] = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.True => true,
                JsonTokenType.False => false,
                JsonTokenType.Null => null,
                JsonTokenType.Number when reader.TryGetInt64(out var integer) => integer,
                JsonTokenType.Number when reader.TryGetUInt64(out var large) => large,
                JsonTokenType.Number when reader.TryGetDouble(out var number) && double.IsFinite(number) => number,
                _ => throw InferenceException.InvalidRequest(
                    $"{what}: parameter '{name}' is {TensorJsonReader.Describe(ref reader)}; parameters are strings, numbers or booleans."),
            };
        }

        return parameters;
    }

    /// <summary>Writes a parameters object, leaving out <paramref name="skip"/> (a name the writer sets itself).</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, object?> parameters, string? skip = null)
    {
        foreach (var (name, value) in parameters)
        {
            if (skip is not null && name == skip)
            {
                continue;
            }

            writer.WritePropertyName(name);
            WriteValue(writer, value);
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case string s: writer.WriteStringValue(s); break;
            case long l: writer.WriteNumberValue(l); break;
            case int i: writer.WriteNumberValue(i); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case uint u: writer.WriteNumberValue(u); break;
            case short s: writer.WriteNumberValue(s); break;
            case ushort u: writer.WriteNumberValue(u); break;
            case sbyte s: writer.WriteNumberValue(s); break;
            case byte b: writer.WriteNumberValue(b); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): writer.WriteNumberValue(f); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case IFormattable formattable: writer.WriteStringValue(formattable.ToString(null, CultureInfo.InvariantCulture)); break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }
}
