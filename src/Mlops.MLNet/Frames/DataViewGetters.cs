using System.Numerics;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.Arrow;

namespace Mlops.MLNet;

/// <summary>Builds the ML.NET value getters of a <see cref="FrameRowCursor"/>, one typed reader per column kind.</summary>
internal static class DataViewGetters
{
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    public static Delegate Create(FrameRowCursor cursor, FrameDataViewColumn column) => column.Kind switch
    {
        DataViewValueKind.Boolean => Boolean(cursor, column),
        DataViewValueKind.SByte => Integer<sbyte>(cursor, column),
        DataViewValueKind.Int16 => Integer<short>(cursor, column),
        DataViewValueKind.Int32 => Integer<int>(cursor, column),
        DataViewValueKind.Int64 => Integer<long>(cursor, column),
        DataViewValueKind.Single => Floating<float, float>(cursor, column),
        DataViewValueKind.Double => Floating<double, double>(cursor, column),
        DataViewValueKind.DoubleAsSingle => Floating<double, float>(cursor, column),
        DataViewValueKind.Text => Text(cursor, column),
        DataViewValueKind.Date => Date(cursor, column),
        DataViewValueKind.Timestamp => Timestamp(cursor, column),
        DataViewValueKind.SingleVector => Vector<float>(cursor, column),
        _ => Vector<double>(cursor, column),
    };

    private static ValueGetter<bool> Boolean(FrameRowCursor cursor, FrameDataViewColumn column) => (ref bool value) =>
    {
        var array = (BooleanArray)cursor.CurrentBatch.Column(column.FrameIndex);
        var row = cursor.Row;
        value = IsNull(array, row) ? NullValue<bool>(cursor, column) : ArrowArrays.IsValid(array.ValueBuffer.Span, array.Offset, row);
    };

    private static ValueGetter<T> Integer<T>(FrameRowCursor cursor, FrameDataViewColumn column)
        where T : unmanaged, IEquatable<T> => (ref T value) =>
    {
        var array = (PrimitiveArray<T>)cursor.CurrentBatch.Column(column.FrameIndex);
        var row = cursor.Row;
        value = IsNull(array, row) ? NullValue<T>(cursor, column) : array.Values[row];
    };

    // Null reads as NaN, ML.NET's missing value for floating point.
    private static ValueGetter<TOut> Floating<TIn, TOut>(FrameRowCursor cursor, FrameDataViewColumn column)
        where TIn : unmanaged, IFloatingPointIeee754<TIn>
        where TOut : unmanaged, IFloatingPointIeee754<TOut> => (ref TOut value) =>
    {
        var array = (PrimitiveArray<TIn>)cursor.CurrentBatch.Column(column.FrameIndex);
        var row = cursor.Row;
        value = IsNull(array, row) ? TOut.NaN : TOut.CreateTruncating(array.Values[row]);
    };

    private static ValueGetter<DateTime> Date(FrameRowCursor cursor, FrameDataViewColumn column) => (ref DateTime value) =>
    {
        var array = (PrimitiveArray<int>)cursor.CurrentBatch.Column(column.FrameIndex);
        var row = cursor.Row;
        value = IsNull(array, row) ? NullValue<DateTime>(cursor, column) : new DateTime(UnixEpochTicks + (array.Values[row] * TimeSpan.TicksPerDay), DateTimeKind.Unspecified);
    };

    private static ValueGetter<DateTime> Timestamp(FrameRowCursor cursor, FrameDataViewColumn column) => (ref DateTime value) =>
    {
        var array = (TimestampArray)cursor.CurrentBatch.Column(column.FrameIndex);
        var row = cursor.Row;
        value = IsNull(array, row) ? NullValue<DateTime>(cursor, column) : ArrowValues.FromTimestamp(array.Values[row], ((TimestampType)array.Data.DataType).Unit);
    };

    // Strings are decoded once per batch into one char buffer; the memories handed out stay valid after the cursor moves.
    private static ValueGetter<ReadOnlyMemory<char>> Text(FrameRowCursor cursor, FrameDataViewColumn column)
    {
        RecordBatch? decodedBatch = null;
        char[] chars = [];
        int[] starts = [];
        return (ref ReadOnlyMemory<char> value) =>
        {
            var batch = cursor.CurrentBatch;
            var array = (StringArray)batch.Column(column.FrameIndex);
            if (!ReferenceEquals(batch, decodedBatch))
            {
                (chars, starts) = Decode(array);
                decodedBatch = batch;
            }

            var row = cursor.Row;
            value = IsNull(array, row) ? ReadOnlyMemory<char>.Empty : new ReadOnlyMemory<char>(chars, starts[row], starts[row + 1] - starts[row]);
        };
    }

    private static (char[] Chars, int[] Starts) Decode(StringArray array)
    {
        var offsets = array.ValueOffsets;
        var data = array.ValueBuffer.Span;
        var chars = new char[offsets[array.Length] - offsets[0]];
        var starts = new int[array.Length + 1];
        var position = 0;
        for (var r = 0; r < array.Length; r++)
        {
            position += Encoding.UTF8.GetChars(data[offsets[r]..offsets[r + 1]], chars.AsSpan(position));
            starts[r + 1] = position;
        }

        return (chars, starts);
    }

    private static ValueGetter<VBuffer<T>> Vector<T>(FrameRowCursor cursor, FrameDataViewColumn column)
        where T : unmanaged, IFloatingPointIeee754<T> => (ref VBuffer<T> value) =>
    {
        var list = (ListArray)cursor.CurrentBatch.Column(column.FrameIndex);
        var row = cursor.Row;
        var size = column.VectorSize;
        var editor = VBufferEditor.Create(ref value, size);
        var target = editor.Values;
        if (IsNull(list, row))
        {
            target.Fill(T.NaN);
            value = editor.Commit();
            return;
        }

        var start = list.ValueOffsets[row];
        var length = list.ValueOffsets[row + 1] - start;
        if (length != size)
        {
            throw new DataFormatException($"Expected a vector of size {size} but found one of size {length} at {cursor.Describe()}.", column: column.Name);
        }

        var child = (PrimitiveArray<double>)list.Values;
        var source = child.Values.Slice(start, size);
        if (typeof(T) == typeof(double))
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<double, T>(source).CopyTo(target);
        }
        else
        {
            for (var k = 0; k < size; k++)
            {
                target[k] = T.CreateTruncating(source[k]);
            }
        }

        if (child.NullCount > 0)
        {
            var validity = ArrowArrays.Validity(child);
            for (var k = 0; k < size; k++)
            {
                if (!ArrowArrays.IsValid(validity, child.Offset, start + k))
                {
                    target[k] = T.NaN;
                }
            }
        }

        value = editor.Commit();
    };

    private static bool IsNull(IArrowArray array, int row) =>
        array.NullCount > 0 && !ArrowArrays.IsValid(ArrowArrays.Validity(array), array.Offset, row);

    private static T NullValue<T>(FrameRowCursor cursor, FrameDataViewColumn column) =>
        cursor.NullsAsDefault
            ? default!
            : throw new DataFormatException(
                $"Null at {cursor.Describe()}, but ML.NET's {column.Type} has no missing value. Replace the nulls first (e.g. WithColumn with Coalesce, or Filter on IsNotNull) or set FrameDataViewOptions.NullsAsDefault.",
                column: column.Name);
}
