using System.Buffers;
using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>
/// Casts to and from strings as Spark does: numbers print like Java (<c>1.0</c>, <c>1.0E10</c>), timestamps as
/// <c>yyyy-MM-dd HH:mm:ss[.ffffff]</c> in UTC, vectors as <c>[1.0, 2.0]</c>; parsing trims whitespace and gives
/// null for text that is not a valid value.
/// </summary>
internal static class StringConversions
{
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static StringArray Format(IArrowArray source)
    {
        var length = source.Length;
        var builder = (StringColumnBuilder)ColumnBuilder.Create(StringType.Default, length);
        var validity = ArrayFactory.AndValidity(length, source);
        Span<char> buffer = stackalloc char[64];
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            if (validity is not null && !ArrayFactory.Get(validity, i))
            {
                builder.AppendNull();
                continue;
            }

            switch (source)
            {
                case BooleanArray a:
                    builder.Append(a.GetValue(i)!.Value ? "true" : "false");
                    break;
                case PrimitiveArray<double> a:
                    builder.Append(JavaNumberFormat.Format(a.Values[i], buffer));
                    break;
                case PrimitiveArray<float> a:
                    builder.Append(JavaNumberFormat.Format(a.Values[i], buffer));
                    break;
                case Date32Array a:
                    builder.Append(FormatDate(a.Values[i], buffer));
                    break;
                case TimestampArray a:
                    builder.Append(FormatTimestamp(a.Values[i], ((TimestampType)a.Data.DataType).Unit, buffer));
                    break;
                case PrimitiveArray<long> a:
                    builder.Append(FormatInteger(a.Values[i], buffer));
                    break;
                case PrimitiveArray<int> a:
                    builder.Append(FormatInteger(a.Values[i], buffer));
                    break;
                case PrimitiveArray<short> a:
                    builder.Append(FormatInteger(a.Values[i], buffer));
                    break;
                case PrimitiveArray<sbyte> a:
                    builder.Append(FormatInteger(a.Values[i], buffer));
                    break;
                case ListArray a:
                    builder.Append(FormatVector(a, i, text, buffer).AsSpan());
                    break;
                default:
                    throw new InvalidOperationException($"Cannot format {source.Data.DataType.Name} as a string.");
            }
        }

        return (StringArray)builder.Build();
    }

    public static IArrowArray Parse(StringArray source, IArrowType to)
    {
        var length = source.Length;
        var builder = ColumnBuilder.Create(to, length);
        var offsets = source.ValueOffsets;
        var data = source.ValueBuffer.Span;
        var validity = ArrayFactory.AndValidity(length, source);
        for (var i = 0; i < length; i++)
        {
            if (validity is not null && !ArrayFactory.Get(validity, i))
            {
                builder.AppendNull();
                continue;
            }

            var text = Trim(data[offsets[i]..offsets[i + 1]]);
            var parsed = builder switch
            {
                BooleanColumnBuilder b => TryParseBoolean(text, out var v) && Append(b, v),
                PrimitiveColumnBuilder<double> b => TryParseDouble(text, out var v) && Append(b, v),
                PrimitiveColumnBuilder<float> b => TryParseDouble(text, out var v) && Append(b, (float)v),
                PrimitiveColumnBuilder<long> b when to is Int64Type => TryParseInteger(text, long.MinValue, long.MaxValue, out var v) && Append(b, v),
                PrimitiveColumnBuilder<int> b when to is Int32Type => TryParseInteger(text, int.MinValue, int.MaxValue, out var v) && Append(b, (int)v),
                PrimitiveColumnBuilder<short> b => TryParseInteger(text, short.MinValue, short.MaxValue, out var v) && Append(b, (short)v),
                PrimitiveColumnBuilder<sbyte> b => TryParseInteger(text, sbyte.MinValue, sbyte.MaxValue, out var v) && Append(b, (sbyte)v),
                PrimitiveColumnBuilder<int> b => TryParseDate(text, out var v) && Append(b, v),
                PrimitiveColumnBuilder<long> b => TryParseTimestamp(text, ((TimestampType)to).Unit, out var v) && Append(b, v),
                _ => throw new InvalidOperationException($"Cannot parse strings as {to.Name}."),
            };
            if (!parsed)
            {
                builder.AppendNull();
            }
        }

        return builder.Build();
    }

    internal static bool TryParseDouble(ReadOnlySpan<byte> text, out double value)
    {
        if (text.Length > 0 && (text[^1] | 0x20) is (byte)'d' or (byte)'f' && text.Length > 1 && text[^2] is >= (byte)'0' and <= (byte)'9' or (byte)'.')
        {
            text = text[..^1]; // Java accepts a type suffix: "1.5d", "2f".
        }

        var unsigned = text.Length > 0 && text[0] is (byte)'+' or (byte)'-' ? text[1..] : text;
        var negative = text.Length > 0 && text[0] == (byte)'-';
        if (EqualsIgnoreCase(unsigned, "inf"u8) || EqualsIgnoreCase(unsigned, "infinity"u8))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        if (EqualsIgnoreCase(text, "nan"u8))
        {
            value = double.NaN;
            return true;
        }

        // Only digits, signs, a point and an exponent: .NET would also accept thousands separators and the like.
        foreach (var c in text)
        {
            if (c is not ((>= (byte)'0' and <= (byte)'9') or (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-'))
            {
                value = 0;
                return false;
            }
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    // Spark's integer parsing: optional sign, digits, and an optional fraction that is truncated; out of range is null.
    internal static bool TryParseInteger(ReadOnlySpan<byte> text, long min, long max, out long value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (i < text.Length && text[i] is (byte)'+' or (byte)'-')
        {
            negative = text[i] == (byte)'-';
            i++;
        }

        var digits = 0;
        ulong magnitude = 0;
        for (; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9'; i++, digits++)
        {
            if (magnitude > (ulong.MaxValue - 9) / 10)
            {
                return false;
            }

            magnitude = (magnitude * 10) + (ulong)(text[i] - '0');
        }

        if (i < text.Length && text[i] == (byte)'.')
        {
            for (i++; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9'; i++)
            {
            }
        }

        if (digits == 0 || i != text.Length)
        {
            return false;
        }

        if (negative ? magnitude > (ulong)long.MaxValue + 1 : magnitude > long.MaxValue)
        {
            return false;
        }

        value = negative ? unchecked(-(long)magnitude) : (long)magnitude;
        return value >= min && value <= max;
    }

    internal static bool TryParseBoolean(ReadOnlySpan<byte> text, out bool value)
    {
        value = EqualsIgnoreCase(text, "t"u8) || EqualsIgnoreCase(text, "true"u8) || EqualsIgnoreCase(text, "y"u8) || EqualsIgnoreCase(text, "yes"u8) || text.SequenceEqual("1"u8);
        return value || EqualsIgnoreCase(text, "f"u8) || EqualsIgnoreCase(text, "false"u8) || EqualsIgnoreCase(text, "n"u8) || EqualsIgnoreCase(text, "no"u8) || text.SequenceEqual("0"u8);
    }

    // Spark's date forms: yyyy, yyyy-[m]m, yyyy-[m]m-[d]d, optionally followed by a space or 'T' and anything.
    internal static bool TryParseDate(ReadOnlySpan<byte> text, out int days)
    {
        days = 0;
        var i = 0;
        if (!ReadNumber(text, ref i, 4, 4, out var year))
        {
            return false;
        }

        int month = 1, day = 1;
        if (i < text.Length && text[i] == (byte)'-')
        {
            i++;
            if (!ReadNumber(text, ref i, 1, 2, out month))
            {
                return false;
            }

            if (i < text.Length && text[i] == (byte)'-')
            {
                i++;
                if (!ReadNumber(text, ref i, 1, 2, out day))
                {
                    return false;
                }
            }
        }

        if (i < text.Length && text[i] is not ((byte)' ' or (byte)'T'))
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month))
        {
            return false;
        }

        days = new DateOnly(Math.Max(year, 1), month, day).DayNumber - DateOnly.FromDateTime(Epoch).DayNumber;
        return year >= 1;
    }

    // ISO-8601 date-times; without a zone the time is taken as UTC (the frames' session time zone).
    internal static bool TryParseTimestamp(ReadOnlySpan<byte> text, TimeUnit unit, out long value)
    {
        value = 0;
        Span<char> chars = stackalloc char[64];
        if (text.Length > chars.Length || Encoding.UTF8.GetChars(text, chars) is var n && n == 0)
        {
            return false;
        }

        if (!DateTimeOffset.TryParse(chars[..n], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return false;
        }

        value = ArrowValues.ToTimestamp(parsed, unit);
        return true;
    }

    private static ReadOnlySpan<char> FormatInteger(long value, Span<char> buffer)
    {
        value.TryFormat(buffer, out var written, provider: CultureInfo.InvariantCulture);
        return buffer[..written];
    }

    private static ReadOnlySpan<char> FormatDate(int days, Span<char> buffer)
    {
        DateOnly.FromDayNumber(DateOnly.FromDateTime(Epoch).DayNumber + days).TryFormat(buffer, out var written, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return buffer[..written];
    }

    private static ReadOnlySpan<char> FormatTimestamp(long value, TimeUnit unit, Span<char> buffer)
    {
        var time = ArrowValues.FromTimestamp(value, unit);
        time.TryFormat(buffer, out var written, "yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
        var text = buffer[..written];

        // "FFFFFFF" leaves a bare point when the fraction is zero.
        return text[^1] == '.' ? text[..^1] : text;
    }

    private static string FormatVector(ListArray list, int row, StringBuilder text, Span<char> buffer)
    {
        var child = (PrimitiveArray<double>)list.Values;
        var childValidity = ArrowArrays.Validity(child);
        text.Clear().Append('[');
        for (var k = list.ValueOffsets[row]; k < list.ValueOffsets[row + 1]; k++)
        {
            if (text.Length > 1)
            {
                text.Append(", ");
            }

            if (ArrowArrays.IsValid(childValidity, child.Offset, k))
            {
                text.Append(JavaNumberFormat.Format(child.Values[k], buffer));
            }
            else
            {
                text.Append("null");
            }
        }

        return text.Append(']').ToString();
    }

    private static bool ReadNumber(ReadOnlySpan<byte> text, ref int i, int minDigits, int maxDigits, out int value)
    {
        value = 0;
        var start = i;
        while (i < text.Length && i - start < maxDigits && text[i] is >= (byte)'0' and <= (byte)'9')
        {
            value = (value * 10) + (text[i++] - '0');
        }

        return i - start >= minDigits;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && text[start] <= (byte)' ')
        {
            start++;
        }

        while (end > start && text[end - 1] <= (byte)' ')
        {
            end--;
        }

        return text[start..end];
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerAscii)
    {
        if (text.Length != lowerAscii.Length)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if ((text[i] | 0x20) != lowerAscii[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool Append<T>(PrimitiveColumnBuilder<T> builder, T value)
        where T : unmanaged
    {
        builder.Append(value);
        return true;
    }

    private static bool Append(BooleanColumnBuilder builder, bool value)
    {
        builder.Append(value);
        return true;
    }
}
