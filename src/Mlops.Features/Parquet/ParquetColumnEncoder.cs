using System.Buffers;
using System.Numerics;
using Apache.Arrow;
using Parquet;

namespace Mlops.Features.Parquet;

/// <summary>A run of rows of one batch that goes into a row group.</summary>
internal readonly record struct BatchSegment(RecordBatch Batch, int Offset, int Length);

/// <summary>
/// Encodes one column of a row group from Arrow segments. Values are gathered (memcpy when a segment has no
/// nulls) into one pooled buffer of the raw Parquet type plus pooled definition levels, and handed to
/// Parquet.Net's low-level <c>WriteAllPartsAsync</c>, which encodes them without per-value work.
/// </summary>
internal static class ParquetColumnEncoder
{
    private const int Present = 1;

    public static Task WriteAsync(ParquetRowGroupWriter writer, ParquetWriteColumn column, IReadOnlyList<BatchSegment> segments, int rows, CancellationToken ct) => column.Kind switch
    {
        ParquetWriteKind.Boolean => WriteBooleanAsync(writer, column, segments, rows, ct),
        ParquetWriteKind.Int8 => WriteNumericAsync<sbyte, int>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.Int16 => WriteNumericAsync<short, int>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.UInt8 => WriteNumericAsync<byte, int>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.UInt16 => WriteNumericAsync<ushort, int>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.Int32 or ParquetWriteKind.Date32 => WriteNumericAsync<int, int>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.UInt32 => WriteNumericAsync<uint, uint>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.Int64 or ParquetWriteKind.Timestamp => WriteNumericAsync<long, long>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.TimestampSeconds => WriteNumericAsync<long, long>(writer, column, segments, rows, 1000, ct),
        ParquetWriteKind.UInt64 => WriteNumericAsync<ulong, ulong>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.Float => WriteNumericAsync<float, float>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.Double => WriteNumericAsync<double, double>(writer, column, segments, rows, 1, ct),
        ParquetWriteKind.String => WriteStringAsync(writer, column, segments, rows, ct),
        ParquetWriteKind.DoubleList => ParquetListEncoder.WriteAsync(writer, column, segments, rows, ct),
        _ => throw new InvalidOperationException($"No encoder for column kind {column.Kind}."),
    };

    private static async Task WriteNumericAsync<TSource, TTarget>(ParquetRowGroupWriter writer, ParquetWriteColumn column, IReadOnlyList<BatchSegment> segments, int rows, int scale, CancellationToken ct)
        where TSource : unmanaged, INumberBase<TSource>, IEquatable<TSource>
        where TTarget : unmanaged, INumberBase<TTarget>
    {
        var values = ArrayPool<TTarget>.Shared.Rent(rows);
        var definitions = column.Nullable ? ArrayPool<int>.Shared.Rent(rows) : null;
        try
        {
            var dense = Gather<TSource, TTarget>(column, segments, values, definitions);
            if (scale != 1)
            {
                var factor = TTarget.CreateTruncating(scale);
                var span = values.AsSpan(0, dense);
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] *= factor;
                }
            }

            await writer.WriteAllPartsAsync<TTarget>(column.Leaf, values.AsMemory(0, dense), definitions?.AsMemory(0, rows), null, ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<TTarget>.Shared.Return(values);
            if (definitions is not null)
            {
                ArrayPool<int>.Shared.Return(definitions);
            }
        }
    }

    private static int Gather<TSource, TTarget>(ParquetWriteColumn column, IReadOnlyList<BatchSegment> segments, TTarget[] values, int[]? definitions)
        where TSource : unmanaged, INumberBase<TSource>, IEquatable<TSource>
        where TTarget : unmanaged, INumberBase<TTarget>
    {
        var dense = 0;
        var slot = 0;
        foreach (var segment in segments)
        {
            var array = (PrimitiveArray<TSource>)segment.Batch.Column(column.Index);
            var source = array.Values.Slice(segment.Offset, segment.Length);
            if (array.NullCount == 0)
            {
                if (typeof(TSource) == typeof(TTarget))
                {
                    System.Runtime.InteropServices.MemoryMarshal.Cast<TSource, TTarget>(source).CopyTo(values.AsSpan(dense));
                }
                else
                {
                    for (var i = 0; i < source.Length; i++)
                    {
                        values[dense + i] = TTarget.CreateTruncating(source[i]);
                    }
                }

                definitions?.AsSpan(slot, segment.Length).Fill(Present);
                dense += segment.Length;
            }
            else
            {
                RequireNullable(column, array);
                for (var i = 0; i < source.Length; i++)
                {
                    if (array.IsValid(segment.Offset + i))
                    {
                        values[dense++] = TTarget.CreateTruncating(source[i]);
                        definitions![slot + i] = Present;
                    }
                    else
                    {
                        definitions![slot + i] = 0;
                    }
                }
            }

            slot += segment.Length;
        }

        return dense;
    }

    private static async Task WriteBooleanAsync(ParquetRowGroupWriter writer, ParquetWriteColumn column, IReadOnlyList<BatchSegment> segments, int rows, CancellationToken ct)
    {
        var values = ArrayPool<bool>.Shared.Rent(rows);
        var definitions = column.Nullable ? ArrayPool<int>.Shared.Rent(rows) : null;
        try
        {
            var dense = 0;
            var slot = 0;
            foreach (var segment in segments)
            {
                var array = (BooleanArray)segment.Batch.Column(column.Index);
                if (array.NullCount > 0)
                {
                    RequireNullable(column, array);
                }

                var bits = array.ValueBuffer.Span;
                for (var i = 0; i < segment.Length; i++)
                {
                    var row = segment.Offset + i;
                    var valid = array.NullCount == 0 || array.IsValid(row);
                    if (valid)
                    {
                        var bit = array.Offset + row;
                        values[dense++] = (bits[bit >> 3] & (1 << (bit & 7))) != 0;
                    }

                    if (definitions is not null)
                    {
                        definitions[slot + i] = valid ? Present : 0;
                    }
                }

                slot += segment.Length;
            }

            await writer.WriteAllPartsAsync<bool>(column.Leaf, values.AsMemory(0, dense), definitions?.AsMemory(0, rows), null, ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(values);
            if (definitions is not null)
            {
                ArrayPool<int>.Shared.Return(definitions);
            }
        }
    }

    private static async Task WriteStringAsync(ParquetRowGroupWriter writer, ParquetWriteColumn column, IReadOnlyList<BatchSegment> segments, int rows, CancellationToken ct)
    {
        // Slices of the Arrow data buffers: no copy and no transcoding, Parquet.Net writes the UTF-8 bytes as they are.
        var values = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(rows);
        var definitions = column.Nullable ? ArrayPool<int>.Shared.Rent(rows) : null;
        try
        {
            var dense = 0;
            var slot = 0;
            foreach (var segment in segments)
            {
                var array = (StringArray)segment.Batch.Column(column.Index);
                if (array.NullCount > 0)
                {
                    RequireNullable(column, array);
                }

                var offsets = array.ValueOffsets;
                var data = array.ValueBuffer.Memory;
                for (var i = 0; i < segment.Length; i++)
                {
                    var row = segment.Offset + i;
                    var valid = array.NullCount == 0 || array.IsValid(row);
                    if (valid)
                    {
                        values[dense++] = data.Slice(offsets[row], offsets[row + 1] - offsets[row]);
                    }

                    if (definitions is not null)
                    {
                        definitions[slot + i] = valid ? Present : 0;
                    }
                }

                slot += segment.Length;
            }

            await writer.WriteAllPartsAsync<ReadOnlyMemory<byte>>(column.Leaf, values.AsMemory(0, dense), definitions?.AsMemory(0, rows), null, ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(values, clearArray: true);
            if (definitions is not null)
            {
                ArrayPool<int>.Shared.Return(definitions);
            }
        }
    }

    internal static void RequireNullable(ParquetWriteColumn column, IArrowArray array)
    {
        if (!column.Nullable && array.NullCount > 0)
        {
            throw new SchemaException($"Column '{column.Name}' is declared non-nullable but a batch holds {array.NullCount} nulls.");
        }
    }
}
