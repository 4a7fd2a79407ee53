using System.Globalization;
using System.Text.Unicode;
using Apache.Arrow.Types;

namespace Mlops.Features.Text;

/// <summary>
/// Parses date and timestamp values with the reader's formats: ISO 8601 by default (the fast path), or
/// .NET custom format strings when <see cref="TextReadOptions.DateFormat"/> or
/// <see cref="TextReadOptions.TimestampFormat"/> is set. Immutable and thread-safe.
/// </summary>
internal sealed class TemporalParser
{
    private const int MaxTextLength = 128;
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly int UnixEpochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private readonly string? _dateFormat;
    private readonly string? _timestampFormat;

    public TemporalParser(string? dateFormat, string? timestampFormat)
    {
        _dateFormat = string.IsNullOrEmpty(dateFormat) ? null : dateFormat;
        _timestampFormat = string.IsNullOrEmpty(timestampFormat) ? null : timestampFormat;
    }

    /// <summary>The custom date format, or null for ISO 8601.</summary>
    public string? DateFormat => _dateFormat;

    /// <summary>The custom timestamp format, or null for ISO 8601.</summary>
    public string? TimestampFormat => _timestampFormat;

    /// <summary>The type readers give timestamp columns they infer: microseconds, UTC.</summary>
    public static TimestampType TimestampType { get; } = new(TimeUnit.Microsecond, "UTC");

    /// <summary>Parses a date into days since 1970-01-01.</summary>
    public bool TryParseDate(ReadOnlySpan<byte> utf8, out int days)
    {
        if (_dateFormat is null)
        {
            return IsoDateTime.TryParseDate(utf8, out days);
        }

        days = 0;
        Span<char> chars = stackalloc char[MaxTextLength];
        if (!TryDecode(utf8, chars, out var written)
            || !DateTime.TryParseExact(chars[..written], _dateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return false;
        }

        days = DateOnly.FromDateTime(parsed).DayNumber - UnixEpochDayNumber;
        return true;
    }

    /// <summary>Parses a timestamp into a count of <paramref name="unit"/> since the Unix epoch, UTC.</summary>
    public bool TryParseTimestamp(ReadOnlySpan<byte> utf8, TimeUnit unit, out long value)
    {
        value = 0;
        long seconds;
        int nanos;
        if (_timestampFormat is null)
        {
            if (!IsoDateTime.TryParseTimestamp(utf8, out seconds, out nanos))
            {
                return false;
            }
        }
        else
        {
            Span<char> chars = stackalloc char[MaxTextLength];
            if (!TryDecode(utf8, chars, out var written)
                || !DateTimeOffset.TryParseExact(chars[..written], _timestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return false;
            }

            var ticks = parsed.UtcTicks - UnixEpochTicks;
            seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
            if (remainder < 0)
            {
                seconds--;
                remainder += TimeSpan.TicksPerSecond;
            }

            nanos = (int)remainder * 100;
        }

        return IsoDateTime.TryToUnit(seconds, nanos, unit, out value);
    }

    private static bool TryDecode(ReadOnlySpan<byte> utf8, Span<char> chars, out int written)
    {
        written = 0;
        return utf8.Length <= chars.Length
            && Utf8.ToUtf16(utf8, chars, out _, out written, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done;
    }
}
