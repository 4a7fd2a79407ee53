using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Arrow;

/// <summary>
/// Whole-array kernels over Arrow arrays: gather by index (the heart of joins and filters), concatenate,
/// and validity checks. They work on buffers directly, with no per-value virtual calls.
/// </summary>
internal static partial class ArrowArrays
{
    /// <summary>
    /// Gathers <c>array[indices[i]]</c> into a new array of the same type; an index of -1 yields a null.
    /// </summary>
    /// <param name="array">The source array.</param>
    /// <param name="indices">Row positions within <paramref name="array"/>, or -1 for null.</param>
    public static IArrowArray Take(IArrowArray array, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(array);
        return array switch
        {
            BooleanArray a => TakeBoolean(a, indices),
            StringArray a => TakeString(a, indices),
            ListArray a => TakeList(a, indices),
            PrimitiveArray<long> a => TakePrimitive(a, indices),
            PrimitiveArray<int> a => TakePrimitive(a, indices),
            PrimitiveArray<double> a => TakePrimitive(a, indices),
            PrimitiveArray<float> a => TakePrimitive(a, indices),
            PrimitiveArray<short> a => TakePrimitive(a, indices),
            PrimitiveArray<sbyte> a => TakePrimitive(a, indices),
            PrimitiveArray<ulong> a => TakePrimitive(a, indices),
            PrimitiveArray<uint> a => TakePrimitive(a, indices),
            PrimitiveArray<ushort> a => TakePrimitive(a, indices),
            PrimitiveArray<byte> a => TakePrimitive(a, indices),
            _ => throw new NotSupportedException($"Arrow type '{array.Data.DataType.Name}' is not supported by frames."),
        };
    }

    /// <summary>Takes every row of a record batch at the given positions (-1 gives a row of nulls).</summary>
    public static RecordBatch Take(RecordBatch batch, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var columns = new IArrowArray[batch.ColumnCount];
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = Take(batch.Column(c), indices);
        }

        return new RecordBatch(batch.Schema, columns, indices.Length);
    }

    /// <summary>Concatenates arrays of one type into a single array.</summary>
    public static IArrowArray Concat(IReadOnlyList<IArrowArray> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        if (arrays.Count == 0)
        {
            throw new ArgumentException("Nothing to concatenate.", nameof(arrays));
        }

        if (arrays.Count == 1)
        {
            return arrays[0];
        }

        var total = 0;
        foreach (var a in arrays)
        {
            total += a.Length;
        }

        // The buffer-appending path reads each part from position 0, so only parts that start elsewhere
        // (sliced arrays, lists whose values do not start at 0) are compacted first with a take.
        var parts = new IArrowArray[arrays.Count];
        int[]? indices = null;
        for (var i = 0; i < arrays.Count; i++)
        {
            var array = arrays[i];
            if (StartsAtZero(array))
            {
                parts[i] = array;
                continue;
            }

            indices ??= new int[total];
            var idx = indices.AsSpan(0, array.Length);
            for (var j = 0; j < idx.Length; j++)
            {
                idx[j] = j;
            }

            parts[i] = Take(array, idx);
        }

        return ConcatCompact(parts, total);
    }

    /// <summary>Concatenates record batches of one schema into a single batch.</summary>
    public static RecordBatch Concat(Schema schema, IReadOnlyList<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 1)
        {
            return batches[0];
        }

        var length = 0;
        foreach (var b in batches)
        {
            length += b.Length;
        }

        var columns = new IArrowArray[schema.FieldsList.Count];
        for (var c = 0; c < columns.Length; c++)
        {
            if (batches.Count == 0)
            {
                columns[c] = ColumnBuilder.Create(schema.FieldsList[c].DataType, 0).Build();
                continue;
            }

            var column = new IArrowArray[batches.Count];
            for (var b = 0; b < batches.Count; b++)
            {
                column[b] = batches[b].Column(c);
            }

            columns[c] = Concat(column);
        }

        return new RecordBatch(schema, columns, length);
    }

    /// <summary>Whether the value at <paramref name="index"/> is valid (not null), reading the bitmap directly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValid(ReadOnlySpan<byte> validity, int offset, int index)
    {
        if (validity.IsEmpty)
        {
            return true;
        }

        var bit = offset + index;
        return (validity[bit >> 3] & (1 << (bit & 7))) != 0;
    }

    /// <summary>The validity bitmap of an array (empty when the array has no nulls).</summary>
    public static ReadOnlySpan<byte> Validity(IArrowArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return array.NullCount == 0 ? default : array.Data.Buffers[0].Span;
    }

    private static IArrowArray TakePrimitive<T>(PrimitiveArray<T> array, ReadOnlySpan<int> indices)
        where T : unmanaged, IEquatable<T>
    {
        var source = array.Values;
        var validity = Validity(array);
        var offset = array.Offset;
        // Every slot is written below, so the buffer need not be zeroed first (these are usually LOH-sized).
        var bytes = GC.AllocateUninitializedArray<byte>(indices.Length * Unsafe.SizeOf<T>());
        var target = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
        var nullCount = 0;
        byte[]? bitmap = null;
        var hasNegative = false;
        for (var i = 0; i < indices.Length; i++)
        {
            var ix = indices[i];
            if (ix < 0)
            {
                hasNegative = true;
                target[i] = default;
                continue;
            }

            target[i] = source[ix];
        }

        if (hasNegative || !validity.IsEmpty)
        {
            bitmap = new byte[(indices.Length + 7) >> 3];
            for (var i = 0; i < indices.Length; i++)
            {
                var ix = indices[i];
                if (ix >= 0 && IsValid(validity, offset, ix))
                {
                    bitmap[i >> 3] |= (byte)(1 << (i & 7));
                }
                else
                {
                    nullCount++;
                }
            }
        }

        var data = new ArrayData(array.Data.DataType, indices.Length, nullCount, 0, [nullCount == 0 ? ArrowBuffer.Empty : new ArrowBuffer(bitmap!), new ArrowBuffer(bytes)]);
        return ArrowArrayFactory.BuildArray(data);
    }

    private static BooleanArray TakeBoolean(BooleanArray array, ReadOnlySpan<int> indices)
    {
        var validity = Validity(array);
        var values = array.Data.Buffers[1].Span;
        var offset = array.Offset;
        var valueBits = new byte[(indices.Length + 7) >> 3];
        var bitmap = new byte[valueBits.Length];
        var nullCount = 0;
        for (var i = 0; i < indices.Length; i++)
        {
            var ix = indices[i];
            if (ix >= 0 && IsValid(validity, offset, ix))
            {
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
                if (IsValid(values, offset, ix))
                {
                    valueBits[i >> 3] |= (byte)(1 << (i & 7));
                }
            }
            else
            {
                nullCount++;
            }
        }

        return new BooleanArray(new ArrowBuffer(valueBits), nullCount == 0 ? ArrowBuffer.Empty : new ArrowBuffer(bitmap), indices.Length, nullCount, 0);
    }

    private static StringArray TakeString(StringArray array, ReadOnlySpan<int> indices)
    {
        var validity = Validity(array);
        var offset = array.Offset;
        var sourceOffsets = array.ValueOffsets;
        var sourceData = array.ValueBuffer.Span;
        var total = 0L;
        for (var i = 0; i < indices.Length; i++)
        {
            var ix = indices[i];
            if (ix >= 0)
            {
                total += sourceOffsets[ix + 1] - sourceOffsets[ix];
            }
        }

        if (total > int.MaxValue)
        {
            throw new InvalidOperationException("A string column would exceed 2 GiB in one batch; use smaller batches.");
        }

        var offsets = new int[indices.Length + 1];
        var data = new byte[total];
        var bitmap = new byte[(indices.Length + 7) >> 3];
        var nullCount = 0;
        var position = 0;
        for (var i = 0; i < indices.Length; i++)
        {
            var ix = indices[i];
            if (ix >= 0 && IsValid(validity, offset, ix))
            {
                var start = sourceOffsets[ix];
                var length = sourceOffsets[ix + 1] - start;
                sourceData.Slice(start, length).CopyTo(data.AsSpan(position));
                position += length;
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
            }
            else
            {
                nullCount++;
            }

            offsets[i + 1] = position;
        }

        var dataBytes = position == data.Length ? data : data.AsSpan(0, position).ToArray();
        return new StringArray(indices.Length, new ArrowBuffer(MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray()), new ArrowBuffer(dataBytes), nullCount == 0 ? ArrowBuffer.Empty : new ArrowBuffer(bitmap), nullCount, 0);
    }

    private static ListArray TakeList(ListArray array, ReadOnlySpan<int> indices)
    {
        var validity = Validity(array);
        var offset = array.Offset;
        var sourceOffsets = array.ValueOffsets;
        var offsets = new int[indices.Length + 1];
        var bitmap = new byte[(indices.Length + 7) >> 3];
        var nullCount = 0;
        var childCount = 0;
        for (var i = 0; i < indices.Length; i++)
        {
            var ix = indices[i];
            if (ix >= 0 && IsValid(validity, offset, ix))
            {
                childCount += sourceOffsets[ix + 1] - sourceOffsets[ix];
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
            }
            else
            {
                nullCount++;
            }

            offsets[i + 1] = childCount;
        }

        var childIndices = new int[childCount];
        var p = 0;
        for (var i = 0; i < indices.Length; i++)
        {
            var ix = indices[i];
            if (ix >= 0 && IsValid(validity, offset, ix))
            {
                for (var k = sourceOffsets[ix]; k < sourceOffsets[ix + 1]; k++)
                {
                    childIndices[p++] = k;
                }
            }
        }

        var values = Take(array.Values, childIndices);
        return new ListArray(array.Data.DataType, indices.Length, new ArrowBuffer(MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray()), values, nullCount == 0 ? ArrowBuffer.Empty : new ArrowBuffer(bitmap), nullCount, 0);
    }

    private static bool StartsAtZero(IArrowArray array) =>
        array.Offset == 0 && (array is not ListArray list || list.Length == 0 || list.ValueOffsets[0] == 0);

    // Concatenates arrays that all start at offset 0 (as Take produces) by appending their buffers.
    private static IArrowArray ConcatCompact(IArrowArray[] parts, int total)
    {
        var type = parts[0].Data.DataType;
        var builder = ColumnBuilder.Create(type, total);
        switch (builder)
        {
            case StringColumnBuilder s:
                foreach (StringArray a in parts)
                {
                    for (var i = 0; i < a.Length; i++)
                    {
                        if (a.IsNull(i))
                        {
                            s.AppendNull();
                        }
                        else
                        {
                            s.Append(a.GetBytes(i));
                        }
                    }
                }

                return s.Build();
            default:
                return ConcatByBuffers(parts, total, type);
        }
    }

    private static IArrowArray ConcatByBuffers(IArrowArray[] parts, int total, IArrowType type)
    {
        var anyNulls = parts.Any(p => p.NullCount > 0);
        var bitmap = anyNulls ? new byte[(total + 7) >> 3] : null;
        var nullCount = 0;
        var row = 0;
        foreach (var part in parts)
        {
            if (bitmap is not null)
            {
                var validity = Validity(part);
                for (var i = 0; i < part.Length; i++)
                {
                    if (IsValid(validity, 0, i))
                    {
                        bitmap[(row + i) >> 3] |= (byte)(1 << ((row + i) & 7));
                    }
                }
            }

            nullCount += part.NullCount;
            row += part.Length;
        }

        var validityBuffer = bitmap is null ? ArrowBuffer.Empty : new ArrowBuffer(bitmap);
        switch (type)
        {
            case BooleanType:
                var bits = new byte[(total + 7) >> 3];
                row = 0;
                foreach (var part in parts)
                {
                    var values = part.Data.Buffers[1].Span;
                    for (var i = 0; i < part.Length; i++)
                    {
                        if (IsValid(values, 0, i))
                        {
                            bits[(row + i) >> 3] |= (byte)(1 << ((row + i) & 7));
                        }
                    }

                    row += part.Length;
                }

                return new BooleanArray(new ArrowBuffer(bits), validityBuffer, total, nullCount, 0);
            case ListType:
                var offsets = new int[total + 1];
                var children = new List<IArrowArray>(parts.Length);
                row = 0;
                var childBase = 0;
                foreach (ListArray part in parts)
                {
                    var partOffsets = part.ValueOffsets;
                    for (var i = 0; i < part.Length; i++)
                    {
                        offsets[row + i + 1] = childBase + partOffsets[i + 1];
                    }

                    childBase += partOffsets[part.Length];
                    children.Add(part.Values.Length == partOffsets[part.Length] ? part.Values : Take(part.Values, Enumerable.Range(0, partOffsets[part.Length]).ToArray()));
                    row += part.Length;
                }

                var child = children.Count == 0 ? ColumnBuilder.Create(((ListType)type).ValueDataType, 0).Build() : Concat(children);
                return new ListArray(type, total, new ArrowBuffer(MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray()), child, validityBuffer, nullCount, 0);
            case FixedWidthType fixedWidth:
                var width = fixedWidth.BitWidth / 8;
                var bytes = new byte[total * width];
                var position = 0;
                foreach (var part in parts)
                {
                    var span = part.Data.Buffers[1].Span.Slice(0, part.Length * width);
                    span.CopyTo(bytes.AsSpan(position));
                    position += span.Length;
                }

                return ArrowArrayFactory.BuildArray(new ArrayData(type, total, nullCount, 0, [validityBuffer, new ArrowBuffer(bytes)]));
            default:
                throw new NotSupportedException($"Arrow type '{type.Name}' is not supported by frames.");
        }
    }
}
