using System.Runtime.CompilerServices;

namespace Mlops.Features.Text;

/// <summary>
/// Allocation-free ISO 8601 date and timestamp parsing from UTF-8 bytes, the hot path of every date and
/// timestamp column. Years 0001 to 9999; offsets are applied so results are UTC.
/// </summary>
internal static class IsoDateTime
{
    /// <summary>Parses <c>yyyy-MM-dd</c> into days since 1970-01-01.</summary>
    public static bool TryParseDate(ReadOnlySpan<byte> s, out int days)
    {
        days = 0;
        if (s.Length != 10 || !TryParseDateParts(s, out var year, out var month, out var day))
        {
            return false;
        }

        days = DaysFromCivil(year, month, day);
        return true;
    }

    /// <summary>
    /// Parses an ISO 8601 timestamp: a date, optionally followed by 'T' or ' ', <c>HH:mm</c>, <c>:ss</c>, a
    /// fraction ('.' or ',' and 1 to 9 digits) and an offset (<c>Z</c>, <c>±hh:mm</c>, <c>±hhmm</c>, <c>±hh</c>).
    /// Returns whole seconds since the Unix epoch (UTC) and the nanoseconds within that second.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<byte> s, out long seconds, out int nanos)
    {
        seconds = 0;
        nanos = 0;
        if (s.Length < 10 || !TryParseDateParts(s, out var year, out var month, out var day))
        {
            return false;
        }

        long secondOfDay = 0;
        var p = 10;
        if (p < s.Length && (s[p] == 'T' || s[p] == 't' || s[p] == ' '))
        {
            // HH:mm is required after the separator.
            if (s.Length < p + 6 || !TryTwoDigits(s, p + 1, out var hour) || s[p + 3] != ':' || !TryTwoDigits(s, p + 4, out var minute) || hour > 23 || minute > 59)
            {
                return false;
            }

            secondOfDay = (hour * 3600) + (minute * 60);
            p += 6;
            if (p < s.Length && s[p] == ':')
            {
                if (!TryTwoDigits(s, p + 1, out var second) || second > 59)
                {
                    return false;
                }

                secondOfDay += second;
                p += 3;
                if (p < s.Length && (s[p] == '.' || s[p] == ','))
                {
                    p++;
                    var digits = 0;
                    var scale = 100_000_000;
                    while (p < s.Length && IsDigit(s[p]))
                    {
                        if (digits < 9)
                        {
                            nanos += (s[p] - '0') * scale;
                            scale /= 10;
                        }

                        digits++;
                        p++;
                    }

                    if (digits == 0 || digits > 9)
                    {
                        return false;
                    }
                }
            }

            if (p < s.Length && !TryParseOffset(s[p..], ref secondOfDay))
            {
                return false;
            }
        }
        else if (p != s.Length)
        {
            return false;
        }

        seconds = ((long)DaysFromCivil(year, month, day) * 86_400) + secondOfDay;
        return true;
    }

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).</summary>
    public static int DaysFromCivil(int year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        var era = (year >= 0 ? year : year - 399) / 400;
        var yearOfEra = year - (era * 400);
        var dayOfYear = (((153 * (month > 2 ? month - 3 : month + 9)) + 2) / 5) + day - 1;
        var dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146_097) + dayOfEra - 719_468;
    }

    /// <summary>Converts seconds and nanoseconds since the epoch to a count of <paramref name="unit"/>; false on overflow.</summary>
    public static bool TryToUnit(long seconds, int nanos, Apache.Arrow.Types.TimeUnit unit, out long value)
    {
        switch (unit)
        {
            case Apache.Arrow.Types.TimeUnit.Second:
                value = seconds;
                return true;
            case Apache.Arrow.Types.TimeUnit.Millisecond:
                value = (seconds * 1000) + (nanos / 1_000_000);
                return true;
            case Apache.Arrow.Types.TimeUnit.Microsecond:
                value = (seconds * 1_000_000) + (nanos / 1000);
                return true;
            default:
                const long limit = long.MaxValue / 1_000_000_000 - 1;
                if (seconds > limit || seconds < -limit)
                {
                    value = 0;
                    return false;
                }

                value = (seconds * 1_000_000_000) + nanos;
                return true;
        }
    }

    private static bool TryParseDateParts(ReadOnlySpan<byte> s, out int year, out int month, out int day)
    {
        year = month = day = 0;
        if (s[4] != '-' || s[7] != '-' || !TryTwoDigits(s, 0, out var century) || !TryTwoDigits(s, 2, out var yy)
            || !TryTwoDigits(s, 5, out month) || !TryTwoDigits(s, 8, out day))
        {
            return false;
        }

        year = (century * 100) + yy;
        return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);
    }

    private static bool TryParseOffset(ReadOnlySpan<byte> s, ref long secondOfDay)
    {
        if (s.Length == 1 && (s[0] == 'Z' || s[0] == 'z'))
        {
            return true;
        }

        if (s[0] != '+' && s[0] != '-')
        {
            return false;
        }

        var sign = s[0] == '-' ? -1 : 1;
        int minutes;
        if (!TryTwoDigits(s, 1, out var hours) || hours > 18)
        {
            return false;
        }

        switch (s.Length)
        {
            case 3:
                minutes = 0;
                break;
            case 5 when TryTwoDigits(s, 3, out minutes):
            case 6 when s[3] == ':' && TryTwoDigits(s, 4, out minutes):
                if (minutes > 59)
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        // Local time minus its offset is UTC.
        secondOfDay -= sign * ((hours * 3600) + (minutes * 60));
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryTwoDigits(ReadOnlySpan<byte> s, int at, out int value)
    {
        if (at + 1 < s.Length && IsDigit(s[at]) && IsDigit(s[at + 1]))
        {
            value = ((s[at] - '0') * 10) + (s[at + 1] - '0');
            return true;
        }

        value = 0;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
