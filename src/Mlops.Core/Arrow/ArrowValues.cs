using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Arrow;

/// <summary>Reads single values out of Arrow arrays as CLR objects, and converts CLR values to Arrow storage.</summary>
/// <remarks>Meant for rows shown to people, tests and small results; hot paths work on whole buffers instead.</remarks>
internal static class ArrowValues
{
    private static readonly DateTime UnixEpoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// The value at <paramref name="index"/> as a CLR object, or <see langword="null"/>: integers and floats as
    /// themselves, booleans, strings, dates as <see cref="DateOnly"/>, timestamps as UTC <see cref="DateTime"/>,
    /// and lists of doubles as <c>double[]</c>.
    /// </summary>
    public static object? GetValue(IArrowArray array, int index)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.IsNull(index))
        {
            return null;
        }

        return array switch
        {
            BooleanArray a => a.GetValue(index),
            Int8Array a => a.GetValue(index),
            Int16Array a => a.GetValue(index),
            Int32Array a => a.GetValue(index),
            Int64Array a => a.GetValue(index),
            UInt8Array a => a.GetValue(index),
            UInt16Array a => a.GetValue(index),
            UInt32Array a => a.GetValue(index),
            UInt64Array a => a.GetValue(index),
            FloatArray a => a.GetValue(index),
            DoubleArray a => a.GetValue(index),
            StringArray a => a.GetString(index),
            Date32Array a => DateOnly.FromDayNumber(DateOnly.FromDateTime(UnixEpoch).DayNumber + a.Values[index]),
            Date64Array a => DateOnly.FromDateTime(UnixEpoch.AddMilliseconds(a.Values[index])),
            TimestampArray a => FromTimestamp(a.Values[index], ((TimestampType)a.Data.DataType).Unit),
            ListArray a => GetList(a, index),
            _ => throw new NotSupportedException($"Arrow type '{array.Data.DataType.Name}' is not supported by frames."),
        };
    }

    /// <summary>Formats a value the way <c>Frame.Show</c> prints it (invariant culture, ISO dates).</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture),
        double[] v => "[" + string.Join(", ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture))) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Days since 1970-01-01 for a <see cref="DateOnly"/>, <see cref="DateTime"/>, <see cref="DateTimeOffset"/> or integer.</summary>
    public static int ToDate32(object value) => value switch
    {
        DateOnly d => d.DayNumber - DateOnly.FromDateTime(UnixEpoch).DayNumber,
        DateTime t => DateOnly.FromDateTime(t).DayNumber - DateOnly.FromDateTime(UnixEpoch).DayNumber,
        DateTimeOffset t => DateOnly.FromDateTime(t.UtcDateTime).DayNumber - DateOnly.FromDateTime(UnixEpoch).DayNumber,
        _ => Convert.ToInt32(value, CultureInfo.InvariantCulture),
    };

    /// <summary>A timestamp in <paramref name="unit"/> since the Unix epoch, from a <see cref="DateTime"/> (taken as UTC unless local), <see cref="DateTimeOffset"/> or integer.</summary>
    public static long ToTimestamp(object value, TimeUnit unit)
    {
        var ticks = value switch
        {
            DateTimeOffset t => t.UtcTicks - UnixEpoch.Ticks,
            DateTime { Kind: DateTimeKind.Local } t => t.ToUniversalTime().Ticks - UnixEpoch.Ticks,
            DateTime t => t.Ticks - UnixEpoch.Ticks,
            _ => long.MinValue,
        };
        if (ticks == long.MinValue)
        {
            return Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }

        return unit switch
        {
            TimeUnit.Second => ticks / TimeSpan.TicksPerSecond,
            TimeUnit.Millisecond => ticks / TimeSpan.TicksPerMillisecond,
            TimeUnit.Microsecond => ticks / 10,
            _ => ticks * 100,
        };
    }

    /// <summary>A UTC <see cref="DateTime"/> from a timestamp in <paramref name="unit"/> since the Unix epoch.</summary>
    public static DateTime FromTimestamp(long value, TimeUnit unit) => unit switch
    {
        TimeUnit.Second => UnixEpoch.AddTicks(value * TimeSpan.TicksPerSecond),
        TimeUnit.Millisecond => UnixEpoch.AddTicks(value * TimeSpan.TicksPerMillisecond),
        TimeUnit.Microsecond => UnixEpoch.AddTicks(value * 10),
        _ => UnixEpoch.AddTicks(value / 100),
    };

    private static double[] GetList(ListArray list, int index)
    {
        var start = list.ValueOffsets[index];
        var end = list.ValueOffsets[index + 1];
        var values = list.Values;
        var result = new double[end - start];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = values.IsNull(start + i) ? double.NaN : Convert.ToDouble(GetValue(values, start + i), CultureInfo.InvariantCulture);
        }

        return result;
    }
}
