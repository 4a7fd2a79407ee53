using System.Globalization;
using System.Text.Json;
using Apache.Arrow.Types;
using Mlops.Features.FeatureStore.Definitions;

namespace Mlops.Features.Server.Http;

/// <summary>
/// Request JSON to the values the feature store takes: a value of a declared <see cref="FeatureValueType"/> (integers,
/// floats, strings, booleans, ISO-8601 timestamps, number arrays) or, for a column nothing declares, the natural type
/// of its JSON. A value of the wrong JSON type is a 400 naming the column and row.
/// </summary>
internal static class JsonValues
{
    public static object? Read(JsonElement value, FeatureValueType? type, string where, string column, int row)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return type switch
        {
            FeatureValueType.Int64 => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l) ? l : throw Wrong(value, "an int64 (a JSON integer)", where, column, row),
            FeatureValueType.Int32 => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : throw Wrong(value, "an int32 (a JSON integer)", where, column, row),
            FeatureValueType.Float32 => value.ValueKind == JsonValueKind.Number ? (float)value.GetDouble() : throw Wrong(value, "a float (a JSON number)", where, column, row),
            FeatureValueType.Float64 => value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Wrong(value, "a double (a JSON number)", where, column, row),
            FeatureValueType.String => value.ValueKind == JsonValueKind.String ? value.GetString() : throw Wrong(value, "a string", where, column, row),
            FeatureValueType.Bool => value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Wrong(value, "a boolean", where, column, row),
            },
            FeatureValueType.UnixTimestamp => Timestamp(value, where, column, row),
            FeatureValueType.Float64List => NumberArray(value, where, column, row),
            _ => Natural(value, where, column, row),
        };
    }

    /// <summary>The Arrow type of a column: the declared type, or that of the column's first non-null JSON value.</summary>
    public static IArrowType ArrowType(FeatureValueType? type, IReadOnlyList<object?> values, string where, string column) => type switch
    {
        FeatureValueType.Int32 => Int32Type.Default,
        FeatureValueType.Int64 => Int64Type.Default,
        FeatureValueType.Float32 => FloatType.Default,
        FeatureValueType.Float64 => DoubleType.Default,
        FeatureValueType.String => StringType.Default,
        FeatureValueType.Bool => BooleanType.Default,
        FeatureValueType.UnixTimestamp => new TimestampType(TimeUnit.Microsecond, "UTC"),
        FeatureValueType.Float64List => new ListType(DoubleType.Default),
        _ => values.FirstOrDefault(v => v is not null) switch
        {
            long => Int64Type.Default,
            double => DoubleType.Default,
            string => StringType.Default,
            bool => BooleanType.Default,
            double[] => new ListType(DoubleType.Default),
            _ => StringType.Default,
        },
    };

    /// <summary>An ISO-8601 time; one without an offset is UTC (as Feast's <c>make_tzaware</c> takes it).</summary>
    public static DateTimeOffset ParseTime(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        throw FeatureServerRequestException.BadRequest($"'{field}' is {Describe(value)}; give an ISO-8601 time such as \"2026-01-01T00:00:00Z\".");
    }

    public static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    /// <summary>A short description of a JSON value for an error message: its kind and (truncated) text.</summary>
    public static string Describe(JsonElement value)
    {
        var text = value.GetRawText();
        if (text.Length > 40)
        {
            text = text[..40] + "...";
        }

        return $"a JSON {KindName(value.ValueKind)} ({text})";
    }

    private static DateTime Timestamp(JsonElement value, string where, string column, int row) =>
        value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time.UtcDateTime
            : throw Wrong(value, "an ISO-8601 timestamp string", where, column, row);

    private static double[] NumberArray(JsonElement value, string where, string column, int row)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Wrong(value, "an array of numbers", where, column, row);
        }

        var result = new double[value.GetArrayLength()];
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[index++] = item.ValueKind == JsonValueKind.Number ? item.GetDouble() : throw Wrong(value, "an array of numbers", where, column, row);
        }

        return result;
    }

    private static object Natural(JsonElement value, string where, string column, int row) => value.ValueKind switch
    {
        JsonValueKind.Number => value.TryGetInt64(out var l) ? l : value.GetDouble(),
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => NumberArray(value, where, column, row),
        _ => throw Wrong(value, "a number, string, boolean or array of numbers", where, column, row),
    };

    private static FeatureServerRequestException Wrong(JsonElement value, string expected, string where, string column, int row) =>
        FeatureServerRequestException.BadRequest($"{where} '{column}' row {row}: expected {expected}, got {Describe(value)}.");
}
