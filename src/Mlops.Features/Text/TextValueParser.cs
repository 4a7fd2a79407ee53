using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Mlops.Features.Text;

/// <summary>
/// Parses field text (UTF-8 bytes) into values of the types text readers produce, with the reader's
/// special tokens for NaN and infinities and its date and timestamp formats. Allocation-free and
/// thread-safe once built.
/// </summary>
internal sealed class TextValueParser
{
    private const NumberStyles FloatStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    private readonly byte[] _nan;
    private readonly byte[] _positiveInfinity;
    private readonly byte[] _negativeInfinity;

    public TextValueParser(TemporalParser temporal, string nanValue = "NaN", string positiveInf = "Infinity", string negativeInf = "-Infinity")
    {
        Temporal = temporal;
        _nan = Encoding.UTF8.GetBytes(nanValue);
        _positiveInfinity = Encoding.UTF8.GetBytes(positiveInf);
        _negativeInfinity = Encoding.UTF8.GetBytes(negativeInf);
    }

    /// <summary>The date and timestamp parser.</summary>
    public TemporalParser Temporal { get; }

    /// <summary>Parses "true" or "false", in any letter case.</summary>
    public static bool TryParseBool(ReadOnlySpan<byte> s, out bool value)
    {
        if (System.Text.Ascii.EqualsIgnoreCase(s, "true"u8))
        {
            value = true;
            return true;
        }

        value = false;
        return System.Text.Ascii.EqualsIgnoreCase(s, "false"u8);
    }

    /// <summary>Parses a decimal integer with an optional sign; nothing else may surround it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseLong(ReadOnlySpan<byte> s, out long value) =>
        Utf8Parser.TryParse(s, out value, out var consumed) && consumed == s.Length && s.Length > 0;

    /// <summary>Parses a decimal or scientific number, the reader's NaN and infinity tokens, "NaN" and "±Infinity".</summary>
    public bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        if (double.TryParse(s, FloatStyle, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        return TryParseSpecial(s, out value);
    }

    /// <summary>The narrowest type a non-null field's text fits, in Spark's order of preference.</summary>
    public InferredType Infer(ReadOnlySpan<byte> s)
    {
        if (TryParseLong(s, out var integer))
        {
            return integer is >= int.MinValue and <= int.MaxValue ? InferredType.Int : InferredType.Long;
        }

        if (TryParseDouble(s, out _))
        {
            return InferredType.Double;
        }

        if (TryParseBool(s, out _))
        {
            return InferredType.Bool;
        }

        if (Temporal.TryParseDate(s, out _))
        {
            return InferredType.Date;
        }

        if (Temporal.TryParseTimestamp(s, Apache.Arrow.Types.TimeUnit.Microsecond, out _))
        {
            return InferredType.Timestamp;
        }

        return InferredType.String;
    }

    private bool TryParseSpecial(ReadOnlySpan<byte> s, out double value)
    {
        if (s.SequenceEqual(_nan))
        {
            value = double.NaN;
        }
        else if (s.SequenceEqual(_positiveInfinity))
        {
            value = double.PositiveInfinity;
        }
        else if (s.SequenceEqual(_negativeInfinity))
        {
            value = double.NegativeInfinity;
        }
        else
        {
            value = 0;
            return false;
        }

        return true;
    }
}
