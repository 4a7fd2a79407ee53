using System.Numerics;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>
/// Vectorised casts with Spark's (non-ANSI) semantics: integers narrow by wrapping, floating point to integer
/// truncates and saturates (NaN gives 0), numbers and timestamps convert through seconds since the epoch, and a
/// string that does not parse gives null. Strings are handled by <see cref="StringConversions"/>.
/// </summary>
internal static class CastKernels
{
    private const long SecondsPerDay = 86_400;

    /// <summary>Whether a value of type <paramref name="from"/> can be cast to <paramref name="to"/>.</summary>
    public static bool CanCast(IArrowType from, IArrowType to)
    {
        if (!ExpressionTypes.IsFrameType(to))
        {
            return false;
        }

        if (from is NullType || SchemaChecks.SameType(from, to) || to is StringType)
        {
            return true;
        }

        var fromNumber = ExpressionTypes.IsNumeric(from) || from is BooleanType;
        var toNumber = ExpressionTypes.IsNumeric(to) || to is BooleanType;
        return (from, to) switch
        {
            (StringType, _) => to is not ListType,
            _ when fromNumber && toNumber => true,
            (TimestampType, TimestampType or Date32Type) => true,
            (Date32Type, TimestampType) => true,
            (TimestampType, _) => ExpressionTypes.IsNumeric(to),
            (_, TimestampType) => ExpressionTypes.IsNumeric(from),
            _ => false,
        };
    }

    /// <summary>Casts every value of <paramref name="source"/>; the caller has checked <see cref="CanCast"/>.</summary>
    public static IArrowArray Cast(IArrowArray source, IArrowType to)
    {
        var from = source.Data.DataType;
        if (SchemaChecks.SameType(from, to))
        {
            return source;
        }

        if (source is NullArray)
        {
            return ArrayFactory.Nulls(to, source.Length);
        }

        if (to is StringType)
        {
            return StringConversions.Format(source);
        }

        if (source is StringArray strings)
        {
            return StringConversions.Parse(strings, to);
        }

        return (from, to) switch
        {
            (TimestampType f, TimestampType t) => RescaleTimestamps((PrimitiveArray<long>)source, f.Unit, t),
            (TimestampType f, Date32Type) => TimestampsToDates((PrimitiveArray<long>)source, f.Unit),
            (Date32Type, TimestampType t) => DatesToTimestamps((PrimitiveArray<int>)source, t),
            (TimestampType f, _) => TimestampsToNumbers((PrimitiveArray<long>)source, f.Unit, to),
            (_, TimestampType t) => NumbersToTimestamps(source, t),
            (BooleanType, _) => BooleansToNumbers((BooleanArray)source, to),
            (_, BooleanType) => NumbersToBooleans(source),
            _ => ConvertNumbers(source, to),
        };
    }

    /// <summary>Converts between the numeric types (tinyint to double).</summary>
    public static IArrowArray ConvertNumbers(IArrowArray source, IArrowType to) => source switch
    {
        PrimitiveArray<sbyte> a => ConvertFrom(a, to),
        PrimitiveArray<short> a => ConvertFrom(a, to),
        PrimitiveArray<int> a => ConvertFrom(a, to),
        PrimitiveArray<long> a => ConvertFrom(a, to),
        PrimitiveArray<float> a => ConvertFrom(a, to),
        PrimitiveArray<double> a => ConvertFrom(a, to),
        _ => throw new InvalidOperationException($"Not a number: {source.Data.DataType.Name}."),
    };

    private static IArrowArray ConvertFrom<TFrom>(PrimitiveArray<TFrom> source, IArrowType to)
        where TFrom : unmanaged, INumber<TFrom> => to switch
    {
        Int8Type => Convert<TFrom, sbyte>(source, to),
        Int16Type => Convert<TFrom, short>(source, to),
        Int32Type => Convert<TFrom, int>(source, to),
        Int64Type => Convert<TFrom, long>(source, to),
        FloatType => Convert<TFrom, float>(source, to),
        DoubleType => Convert<TFrom, double>(source, to),
        _ => throw new InvalidOperationException($"Not a numeric type: {to.Name}."),
    };

    private static IArrowArray Convert<TFrom, TTo>(PrimitiveArray<TFrom> source, IArrowType to)
        where TFrom : unmanaged, INumber<TFrom>
        where TTo : unmanaged, INumber<TTo>
    {
        var values = source.Values;
        var result = new TTo[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = ConvertValue<TFrom, TTo>(values[i]);
        }

        return ArrayFactory.Primitive(to, result, ArrayFactory.AndValidity(values.Length, source));
    }

    // Java's rules, which Spark follows: double to int or long saturates (NaN is 0); to short or byte it goes
    // through int and then wraps; integer narrowing wraps; everything else rounds to nearest.
    private static TTo ConvertValue<TFrom, TTo>(TFrom value)
        where TFrom : unmanaged, INumber<TFrom>
        where TTo : unmanaged, INumber<TTo>
    {
        var fromFloating = typeof(TFrom) == typeof(double) || typeof(TFrom) == typeof(float);
        var toFloating = typeof(TTo) == typeof(double) || typeof(TTo) == typeof(float);
        if (!fromFloating || toFloating)
        {
            return TTo.CreateTruncating(value);
        }

        if (typeof(TTo) == typeof(long) || typeof(TTo) == typeof(int))
        {
            return TFrom.IsNaN(value) ? TTo.Zero : TTo.CreateSaturating(value);
        }

        return TTo.CreateTruncating(TFrom.IsNaN(value) ? 0 : int.CreateSaturating(value));
    }

    private static IArrowArray BooleansToNumbers(BooleanArray source, IArrowType to)
    {
        var bits = source.ValueBuffer.Span;
        var ones = new long[source.Length];
        for (var i = 0; i < ones.Length; i++)
        {
            ones[i] = ArrowArrays.IsValid(bits, source.Offset, i) ? 1 : 0;
        }

        var asLong = ArrayFactory.Primitive(Int64Type.Default, ones, ArrayFactory.AndValidity(ones.Length, source));
        return to is Int64Type ? asLong : ConvertNumbers(asLong, to);
    }

    private static IArrowArray NumbersToBooleans(IArrowArray source)
    {
        var doubles = (PrimitiveArray<double>)ConvertNumbers(source, DoubleType.Default);
        var values = doubles.Values;
        var bits = new byte[(values.Length + 7) >> 3];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] != 0)
            {
                ArrayFactory.Set(bits, i);
            }
        }

        return ArrayFactory.Boolean(bits, ArrayFactory.AndValidity(values.Length, source), values.Length);
    }

    private static IArrowArray RescaleTimestamps(PrimitiveArray<long> source, TimeUnit from, TimestampType to)
    {
        var fromScale = ExpressionTypes.UnitsPerSecond(from);
        var toScale = ExpressionTypes.UnitsPerSecond(to.Unit);
        var values = source.Values;
        var result = new long[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = toScale >= fromScale ? values[i] * (toScale / fromScale) : FloorDiv(values[i], fromScale / toScale);
        }

        return ArrayFactory.Primitive(to, result, ArrayFactory.AndValidity(values.Length, source));
    }

    private static IArrowArray TimestampsToDates(PrimitiveArray<long> source, TimeUnit unit)
    {
        var perDay = SecondsPerDay * ExpressionTypes.UnitsPerSecond(unit);
        var values = source.Values;
        var result = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = (int)FloorDiv(values[i], perDay);
        }

        return ArrayFactory.Primitive(Date32Type.Default, result, ArrayFactory.AndValidity(values.Length, source));
    }

    private static IArrowArray DatesToTimestamps(PrimitiveArray<int> source, TimestampType to)
    {
        var perDay = SecondsPerDay * ExpressionTypes.UnitsPerSecond(to.Unit);
        var values = source.Values;
        var result = new long[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i] * perDay;
        }

        return ArrayFactory.Primitive(to, result, ArrayFactory.AndValidity(values.Length, source));
    }

    // Spark reads a timestamp as a number of seconds: whole (floored) for integers, fractional for floats.
    private static IArrowArray TimestampsToNumbers(PrimitiveArray<long> source, TimeUnit unit, IArrowType to)
    {
        var scale = ExpressionTypes.UnitsPerSecond(unit);
        var values = source.Values;
        var validity = ArrayFactory.AndValidity(values.Length, source);
        if (ExpressionTypes.IsFloating(to))
        {
            var seconds = new double[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                seconds[i] = values[i] / (double)scale;
            }

            return ConvertNumbers(ArrayFactory.Primitive(DoubleType.Default, seconds, validity), to);
        }

        var whole = new long[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            whole[i] = FloorDiv(values[i], scale);
        }

        return ConvertNumbers(ArrayFactory.Primitive(Int64Type.Default, whole, validity), to);
    }

    private static IArrowArray NumbersToTimestamps(IArrowArray source, TimestampType to)
    {
        var scale = ExpressionTypes.UnitsPerSecond(to.Unit);
        var length = source.Length;
        var result = new long[length];
        var validity = ArrayFactory.AndValidity(length, source);
        if (ExpressionTypes.IsFloating(source.Data.DataType))
        {
            var seconds = ((PrimitiveArray<double>)ConvertNumbers(source, DoubleType.Default)).Values;
            for (var i = 0; i < length; i++)
            {
                if (double.IsFinite(seconds[i]))
                {
                    result[i] = (long)(seconds[i] * scale);
                }
                else
                {
                    (validity ??= ArrayFactory.AllSet(length))[i >> 3] &= (byte)~(1 << (i & 7));
                }
            }
        }
        else
        {
            var seconds = ((PrimitiveArray<long>)ConvertNumbers(source, Int64Type.Default)).Values;
            for (var i = 0; i < length; i++)
            {
                result[i] = unchecked(seconds[i] * scale);
            }
        }

        return ArrayFactory.Primitive(to, result, validity);
    }

    private static long FloorDiv(long value, long divisor)
    {
        var q = value / divisor;
        return value % divisor < 0 ? q - 1 : q;
    }
}
