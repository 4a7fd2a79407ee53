using System.Numerics;
using Apache.Arrow;

namespace Mlops.Training.Data.Sources;

/// <summary>
/// Copies Arrow feature and label columns into dense row-major arrays of float32 or float64, refusing nulls and
/// vectors of another width with the row and column named (as the Parquet dense reader does).
/// </summary>
internal static class ArrowDenseCopy
{
    /// <summary>Copies a vector column (list or fixed-size list of double or float) or a scalar numeric column (width 1).</summary>
    public static void Features<T>(IArrowArray array, string column, int width, Span<T> target, Place place)
        where T : unmanaged, INumberBase<T>
    {
        switch (array)
        {
            case ListArray list:
                for (var r = 0; r < list.Length; r++)
                {
                    var length = list.IsNull(r) ? -1 : list.GetValueLength(r);
                    if (length != width)
                    {
                        throw place.Problem(column, r, length < 0 ? "a null vector" : length == 0 ? "an empty vector" : $"a vector of {length} values, but every feature vector must have {width} values (the dataset's width)");
                    }
                }

                Elements(list.Values, column, list.ValueOffsets[0], width, target, place);
                break;
            case FixedSizeListArray fixedList:
                for (var r = 0; r < fixedList.Length; r++)
                {
                    if (fixedList.IsNull(r))
                    {
                        throw place.Problem(column, r, "a null vector");
                    }
                }

                Elements(fixedList.Values, column, fixedList.Offset * width, width, target, place);
                break;
            default:
                Scalars(array, column, "feature", target, 1, 0, place);
                break;
        }
    }

    /// <summary>Copies a numeric or boolean column into every <paramref name="stride"/>-th slot of <paramref name="target"/> from <paramref name="offset"/>.</summary>
    public static void Scalars<T>(IArrowArray array, string column, string role, Span<T> target, int stride, int offset, Place place)
        where T : unmanaged, INumberBase<T>
    {
        if (array.NullCount > 0)
        {
            for (var r = 0; r < array.Length; r++)
            {
                if (array.IsNull(r))
                {
                    throw place.Problem(column, r, $"a null {role}");
                }
            }
        }

        switch (array)
        {
            case BooleanArray flags:
                for (var r = 0; r < flags.Length; r++)
                {
                    target[(r * stride) + offset] = flags.GetValue(r) == true ? T.One : T.Zero;
                }

                break;
            case DoubleArray a: Copy(a.Values, target, stride, offset); break;
            case FloatArray a: Copy(a.Values, target, stride, offset); break;
            case HalfFloatArray a: Copy(a.Values, target, stride, offset); break;
            case Int8Array a: Copy(a.Values, target, stride, offset); break;
            case Int16Array a: Copy(a.Values, target, stride, offset); break;
            case Int32Array a: Copy(a.Values, target, stride, offset); break;
            case Int64Array a: Copy(a.Values, target, stride, offset); break;
            case UInt8Array a: Copy(a.Values, target, stride, offset); break;
            case UInt16Array a: Copy(a.Values, target, stride, offset); break;
            case UInt32Array a: Copy(a.Values, target, stride, offset); break;
            case UInt64Array a: Copy(a.Values, target, stride, offset); break;
            default:
                throw new DataFormatException($"The {role} column has type {array.Data.DataType.Name}; it must be a numeric or boolean column.", "frame", column: column);
        }
    }

    /// <summary>Copies the elements of complete vectors from <paramref name="first"/> on; a null element is reported with its row.</summary>
    private static void Elements<T>(IArrowArray values, string column, int first, int width, Span<T> target, Place place)
        where T : unmanaged, INumberBase<T>
    {
        if (values.NullCount > 0)
        {
            for (var i = 0; i < target.Length; i++)
            {
                if (values.IsNull(first + i))
                {
                    throw place.Problem(column, i / width, $"a null value at position {i % width} of its vector");
                }
            }
        }

        switch (values)
        {
            case DoubleArray a: Copy(a.Values.Slice(first, target.Length), target, 1, 0); break;
            case FloatArray a: Copy(a.Values.Slice(first, target.Length), target, 1, 0); break;
            default:
                throw new DataFormatException($"The features column holds {values.Data.DataType.Name} values; vectors must hold double or float.", "frame", column: column);
        }
    }

    private static void Copy<TStored, T>(ReadOnlySpan<TStored> source, Span<T> target, int stride, int offset)
        where TStored : unmanaged, INumberBase<TStored>
        where T : unmanaged, INumberBase<T>
    {
        if (stride == 1 && typeof(TStored) == typeof(T))
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<TStored, T>(source).CopyTo(target[offset..]);
            return;
        }

        for (var r = 0; r < source.Length; r++)
        {
            target[(r * stride) + offset] = T.CreateTruncating(source[r]);
        }
    }
}
