using System.Globalization;

namespace Mlops.Features;

/// <summary>
/// Prints floating-point numbers the way Java (and so Spark) does: the shortest digits that round-trip, in plain
/// notation between 1e-3 and 1e7 with at least one decimal (<c>1.0</c>, <c>0.001</c>), else as <c>d.dddE±n</c>
/// (<c>1.0E10</c>, <c>1.0E-4</c>).
/// </summary>
internal static class JavaNumberFormat
{
    /// <summary>Formats like Java's <c>Double.toString</c>: shortest round-trip digits, plain between 1e-3 and 1e7, else <c>d.dddE±n</c>.</summary>
    public static ReadOnlySpan<char> Format(double value, Span<char> buffer) => Format(value, isFloat: false, buffer);

    /// <summary>Formats like Java's <c>Float.toString</c>.</summary>
    public static ReadOnlySpan<char> Format(float value, Span<char> buffer) => Format(value, isFloat: true, buffer);

    private static ReadOnlySpan<char> Format(double value, bool isFloat, Span<char> buffer)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        // Shortest round-trip digits in scientific form, e.g. "-1.2345E+003" → digits "12345", exponent 3.
        Span<char> scientific = stackalloc char[40];
        var ok = isFloat
            ? ((float)value).TryFormat(scientific, out var written, "E8", CultureInfo.InvariantCulture)
            : value.TryFormat(scientific, out written, "E16", CultureInfo.InvariantCulture);
        Span<char> shortest = stackalloc char[40];
        var okShort = isFloat
            ? ((float)value).TryFormat(shortest, out var shortLength, "R", CultureInfo.InvariantCulture)
            : value.TryFormat(shortest, out shortLength, "R", CultureInfo.InvariantCulture);
        if (!ok || !okShort)
        {
            throw new InvalidOperationException("Number formatting failed.");
        }

        var exponent = int.Parse(scientific[(scientific[..written].IndexOf('E') + 1)..written], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        Span<char> digits = stackalloc char[32];
        var count = 0;
        var mantissa = shortest[..shortLength];
        var e = mantissa.IndexOfAny('E', 'e');
        if (e >= 0)
        {
            mantissa = mantissa[..e];
        }

        foreach (var c in mantissa)
        {
            if (c is >= '0' and <= '9' && !(count == 0 && c == '0'))
            {
                digits[count++] = c;
            }
        }

        while (count > 1 && digits[count - 1] == '0')
        {
            count--;
        }

        var p = 0;
        if (value < 0)
        {
            buffer[p++] = '-';
        }

        var magnitude = Math.Abs(value);
        if (magnitude >= 1e-3 && magnitude < 1e7)
        {
            if (exponent < 0)
            {
                buffer[p++] = '0';
                buffer[p++] = '.';
                for (var z = 0; z < -exponent - 1; z++)
                {
                    buffer[p++] = '0';
                }

                digits[..count].CopyTo(buffer[p..]);
                return buffer[..(p + count)];
            }

            for (var k = 0; k <= exponent; k++)
            {
                buffer[p++] = k < count ? digits[k] : '0';
            }

            buffer[p++] = '.';
            if (count <= exponent + 1)
            {
                buffer[p++] = '0';
            }
            else
            {
                digits[(exponent + 1)..count].CopyTo(buffer[p..]);
                p += count - exponent - 1;
            }

            return buffer[..p];
        }

        buffer[p++] = digits[0];
        buffer[p++] = '.';
        if (count == 1)
        {
            buffer[p++] = '0';
        }
        else
        {
            digits[1..count].CopyTo(buffer[p..]);
            p += count - 1;
        }

        buffer[p++] = 'E';
        exponent.TryFormat(buffer[p..], out var expLength, provider: CultureInfo.InvariantCulture);
        return buffer[..(p + expLength)];
    }
}
