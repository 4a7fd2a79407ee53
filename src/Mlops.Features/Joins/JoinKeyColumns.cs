using System.Numerics;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features.Joins;

/// <summary>
/// Builds the output key columns of a join: gathered from one side, converted to the wider key type when
/// the sides differ (an int key joined with a long key comes out as long), or, for full joins, the first
/// side's value where it is not null and otherwise the second's (Spark's <c>coalesce(left.k, right.k)</c>).
/// </summary>
internal static class JoinKeyColumns
{
    /// <summary>
    /// Row <c>i</c> is <c>first[firstRows[i]]</c> when that index is not -1 and the value not null, otherwise
    /// <c>second[secondRows[i]]</c> (when a second side is given), otherwise null.
    /// </summary>
    public static IArrowArray Gather(IArrowType type, IArrowArray first, ReadOnlySpan<int> firstRows, IArrowArray? second, ReadOnlySpan<int> secondRows)
    {
        if (second is null && SchemaChecks.SameType(first.Data.DataType, type))
        {
            return ArrowArrays.Take(first, firstRows);
        }

        var length = firstRows.Length;
        if (type is StringType)
        {
            return GatherStrings((StringArray)first, firstRows, (StringArray?)second, secondRows);
        }

        var valid = new byte[(length + 7) >> 3];
        if (type is FloatType or DoubleType)
        {
            var doubles = new double[length];
            ReadDoubles(first, firstRows, doubles, valid);
            if (second is not null)
            {
                ReadDoubles(second, secondRows, doubles, valid);
            }

            return type is FloatType ? Build<double, float>(type, doubles, valid) : Build<double, double>(type, doubles, valid);
        }

        var longs = new long[length];
        ReadLongs(first, firstRows, longs, valid);
        if (second is not null)
        {
            ReadLongs(second, secondRows, longs, valid);
        }

        return type switch
        {
            BooleanType => BuildBooleans(longs, valid),
            Int8Type => Build<long, sbyte>(type, longs, valid),
            Int16Type => Build<long, short>(type, longs, valid),
            Int32Type or Date32Type => Build<long, int>(type, longs, valid),
            UInt8Type => Build<long, byte>(type, longs, valid),
            UInt16Type => Build<long, ushort>(type, longs, valid),
            UInt32Type => Build<long, uint>(type, longs, valid),
            UInt64Type => Build<long, ulong>(type, longs, valid),
            _ => Build<long, long>(type, longs, valid),
        };
    }

    // Each reader fills the rows not yet valid from this side and leaves valid rows alone, so reading the
    // first side and then the second computes the coalesce. Only the gathered rows are read.
    private static void ReadLongs(IArrowArray array, ReadOnlySpan<int> rows, long[] target, byte[] valid)
    {
        var validity = ArrowArrays.Validity(array);
        switch (array)
        {
            case PrimitiveArray<long> a:
                Fill<long, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case PrimitiveArray<int> a:
                Fill<int, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case PrimitiveArray<short> a:
                Fill<short, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case PrimitiveArray<sbyte> a:
                Fill<sbyte, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case PrimitiveArray<ulong> a:
                Fill<ulong, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case PrimitiveArray<uint> a:
                Fill<uint, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case PrimitiveArray<ushort> a:
                Fill<ushort, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case PrimitiveArray<byte> a:
                Fill<byte, long>(a.Values, validity, a.Offset, rows, target, valid);
                break;
            case BooleanArray a:
                var bits = a.Data.Buffers[1].Span;
                for (var i = 0; i < rows.Length; i++)
                {
                    var ix = rows[i];
                    if (ix >= 0 && !IsSet(valid, i) && ArrowArrays.IsValid(validity, a.Offset, ix))
                    {
                        target[i] = ArrowArrays.IsValid(bits, a.Offset, ix) ? 1 : 0;
                        valid[i >> 3] |= (byte)(1 << (i & 7));
                    }
                }

                break;
            default:
                throw new NotSupportedException($"Arrow type '{array.Data.DataType.Name}' cannot be a join key.");
        }
    }

    private static void ReadDoubles(IArrowArray array, ReadOnlySpan<int> rows, double[] target, byte[] valid)
    {
        // Values are converted as they are (not normalised), so -0.0 survives into the output.
        var validity = ArrowArrays.Validity(array);
        if (array is FloatArray f)
        {
            Fill<float, double>(f.Values, validity, f.Offset, rows, target, valid);
        }
        else
        {
            var d = (DoubleArray)array;
            Fill<double, double>(d.Values, validity, d.Offset, rows, target, valid);
        }
    }

    private static void Fill<TSource, TTarget>(ReadOnlySpan<TSource> values, ReadOnlySpan<byte> validity, int offset, ReadOnlySpan<int> rows, TTarget[] target, byte[] valid)
        where TSource : unmanaged, INumberBase<TSource>
        where TTarget : unmanaged, INumberBase<TTarget>
    {
        for (var i = 0; i < rows.Length; i++)
        {
            var ix = rows[i];
            if (ix >= 0 && !IsSet(valid, i) && ArrowArrays.IsValid(validity, offset, ix))
            {
                target[i] = TTarget.CreateTruncating(values[ix]);
                valid[i >> 3] |= (byte)(1 << (i & 7));
            }
        }
    }

    private static bool IsSet(byte[] bitmap, int i) => (bitmap[i >> 3] & (1 << (i & 7))) != 0;

    private static IArrowArray Build<TSource, TTarget>(IArrowType type, TSource[] values, byte[] valid)
        where TSource : unmanaged, INumberBase<TSource>
        where TTarget : unmanaged, INumberBase<TTarget>
    {
        var target = new TTarget[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            target[i] = TTarget.CreateTruncating(values[i]);
        }

        var nulls = NullCount(valid, values.Length);
        var bytes = MemoryMarshal.AsBytes(target.AsSpan()).ToArray();
        var data = new ArrayData(type, values.Length, nulls, 0, [nulls == 0 ? ArrowBuffer.Empty : new ArrowBuffer(valid), new ArrowBuffer(bytes)]);
        return ArrowArrayFactory.BuildArray(data);
    }

    private static BooleanArray BuildBooleans(long[] values, byte[] valid)
    {
        var bits = new byte[valid.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] != 0)
            {
                bits[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        var nulls = NullCount(valid, values.Length);
        return new BooleanArray(new ArrowBuffer(bits), nulls == 0 ? ArrowBuffer.Empty : new ArrowBuffer(valid), values.Length, nulls, 0);
    }

    private static StringArray GatherStrings(StringArray first, ReadOnlySpan<int> firstRows, StringArray? second, ReadOnlySpan<int> secondRows)
    {
        var length = firstRows.Length;
        var builder = (StringColumnBuilder)ColumnBuilder.Create(StringType.Default, length);
        var firstValidity = ArrowArrays.Validity(first);
        var secondValidity = second is null ? default : ArrowArrays.Validity(second);
        for (var i = 0; i < length; i++)
        {
            var ix = firstRows[i];
            if (ix >= 0 && ArrowArrays.IsValid(firstValidity, first.Offset, ix))
            {
                builder.Append(first.GetBytes(ix));
                continue;
            }

            ix = second is null ? -1 : secondRows[i];
            if (ix >= 0 && ArrowArrays.IsValid(secondValidity, second!.Offset, ix))
            {
                builder.Append(second.GetBytes(ix));
            }
            else
            {
                builder.AppendNull();
            }
        }

        return (StringArray)builder.Build();
    }

    private static int NullCount(byte[] valid, int length)
    {
        var set = 0;
        for (var i = 0; i < length; i++)
        {
            set += (valid[i >> 3] >> (i & 7)) & 1;
        }

        return length - set;
    }
}
