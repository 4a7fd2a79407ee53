using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;

namespace Mlops.Features.Parquet;

/// <summary>
/// Decodes one column chunk into one Arrow array. Fixed-width values are decoded by Parquet.Net straight into
/// the byte array that becomes the Arrow value buffer; definition levels (pooled) become the validity bitmap,
/// and the dense non-null values are spread to their slots in place. No per-value allocation or boxing.
/// </summary>
internal static class ParquetColumnDecoder
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    public static async ValueTask<IArrowArray> ReadAsync(ParquetRowGroupReader rowGroup, ParquetColumnPlan plan, int rows, CancellationToken ct)
    {
        var field = plan.ReadField!;
        var type = plan.ArrowField!.DataType;
        switch (plan.Kind)
        {
            case ParquetColumnKind.Int32:
            case ParquetColumnKind.UInt32:
            case ParquetColumnKind.Date:
                return await ReadFixedAsync<int>(rowGroup, field, type, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.Int64:
            case ParquetColumnKind.UInt64:
            case ParquetColumnKind.TimestampMicros:
                return await ReadFixedAsync<long>(rowGroup, field, type, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.TimestampMillis:
                return await ReadFixedAsync<long>(rowGroup, field, type, rows, ct, static v => MultiplyAll(v, 1000)).ConfigureAwait(false);
            case ParquetColumnKind.TimestampNanos:
                return await ReadFixedAsync<long>(rowGroup, field, type, rows, ct, static v => FloorDivideAll(v, 1000)).ConfigureAwait(false);
            case ParquetColumnKind.Float:
                return await ReadFixedAsync<float>(rowGroup, field, type, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.Double:
                return await ReadFixedAsync<double>(rowGroup, field, type, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.Int8:
            case ParquetColumnKind.UInt8:
                return await ReadNarrowAsync<byte>(rowGroup, field, type, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.Int16:
            case ParquetColumnKind.UInt16:
                return await ReadNarrowAsync<short>(rowGroup, field, type, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.Boolean:
                return await ReadBooleanAsync(rowGroup, field, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.TimestampInt96:
                return await ReadInt96Async(rowGroup, field, type, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.String:
                return await ReadStringAsync(rowGroup, field, rows, ct).ConfigureAwait(false);
            case ParquetColumnKind.DoubleList:
                return await ParquetListDecoder.ReadAsync(rowGroup, plan, rows, ct).ConfigureAwait(false);
            default:
                throw new InvalidOperationException($"No decoder for column kind {plan.Kind}.");
        }
    }

    /// <summary>Reads a column whose Parquet physical values have the Arrow storage type <typeparamref name="T"/>.</summary>
    private static async ValueTask<IArrowArray> ReadFixedAsync<T>(ParquetRowGroupReader rowGroup, DataField field, IArrowType type, int rows, CancellationToken ct, Action<Span<T>>? convert = null)
        where T : unmanaged
    {
        var bytes = GC.AllocateUninitializedArray<byte>(rows * Unsafe.SizeOf<T>());
        var values = new CastMemoryManager<T>(bytes, rows).Memory;
        var levels = await ReadLevelsAsync(rowGroup, field, values, rows, ct).ConfigureAwait(false);
        var span = values.Span;
        convert?.Invoke(span[..(rows - levels.NullCount)]);
        if (levels.NullCount > 0)
        {
            Spread(span, levels.Validity!, rows, rows - levels.NullCount);
        }

        return Build(type, rows, levels, new ArrowBuffer(bytes));
    }

    /// <summary>Reads an INT32 column into a narrower Arrow type (int8/16, uint8/16).</summary>
    private static async ValueTask<IArrowArray> ReadNarrowAsync<T>(ParquetRowGroupReader rowGroup, DataField field, IArrowType type, int rows, CancellationToken ct)
        where T : unmanaged
    {
        var wide = ArrayPool<int>.Shared.Rent(rows);
        try
        {
            var levels = await ReadLevelsAsync(rowGroup, field, wide.AsMemory(0, rows), rows, ct).ConfigureAwait(false);
            var bytes = GC.AllocateUninitializedArray<byte>(rows * Unsafe.SizeOf<T>());
            var target = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
            var dense = rows - levels.NullCount;
            for (var i = 0; i < dense; i++)
            {
                var v = wide[i];
                target[i] = Unsafe.As<int, T>(ref v);
            }

            if (levels.NullCount > 0)
            {
                Spread(target, levels.Validity!, rows, dense);
            }

            return Build(type, rows, levels, new ArrowBuffer(bytes));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(wide);
        }
    }

    private static async ValueTask<IArrowArray> ReadBooleanAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
    {
        var flags = ArrayPool<bool>.Shared.Rent(rows);
        try
        {
            var levels = await ReadLevelsAsync(rowGroup, field, flags.AsMemory(0, rows), rows, ct).ConfigureAwait(false);
            var bits = new byte[(rows + 7) >> 3];
            var validity = levels.Validity;
            var next = 0;
            for (var i = 0; i < rows; i++)
            {
                if ((validity is null || (validity[i >> 3] & (1 << (i & 7))) != 0) && flags[next++])
                {
                    bits[i >> 3] |= (byte)(1 << (i & 7));
                }
            }

            return Build(BooleanType.Default, rows, levels, new ArrowBuffer(bits));
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(flags);
        }
    }

    private static async ValueTask<IArrowArray> ReadInt96Async(ParquetRowGroupReader rowGroup, DataField field, IArrowType type, int rows, CancellationToken ct)
    {
        var times = ArrayPool<DateTime>.Shared.Rent(rows);
        try
        {
            var levels = await ReadLevelsAsync(rowGroup, field, times.AsMemory(0, rows), rows, ct).ConfigureAwait(false);
            var bytes = GC.AllocateUninitializedArray<byte>(rows * sizeof(long));
            var target = MemoryMarshal.Cast<byte, long>(bytes.AsSpan());
            var dense = rows - levels.NullCount;
            for (var i = 0; i < dense; i++)
            {
                target[i] = FloorDivide(times[i].Ticks - UnixEpochTicks, 10);
            }

            if (levels.NullCount > 0)
            {
                Spread(target, levels.Validity!, rows, dense);
            }

            return Build(type, rows, levels, new ArrowBuffer(bytes));
        }
        finally
        {
            ArrayPool<DateTime>.Shared.Return(times);
        }
    }

    private static async ValueTask<IArrowArray> ReadStringAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
    {
        var strings = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(rows);
        try
        {
            var levels = await ReadLevelsAsync(rowGroup, field, strings.AsMemory(0, rows), rows, ct).ConfigureAwait(false);
            var dense = rows - levels.NullCount;
            long total = 0;
            for (var i = 0; i < dense; i++)
            {
                total += strings[i].Length;
            }

            if (total > int.MaxValue)
            {
                throw new NotSupportedException($"The row group holds {total} bytes of text in column '{field.Name}', more than one Arrow string array can (2 GiB); write the file with smaller row groups.");
            }

            var offsetBytes = GC.AllocateUninitializedArray<byte>((rows + 1) * sizeof(int));
            var offsets = MemoryMarshal.Cast<byte, int>(offsetBytes.AsSpan());
            var data = GC.AllocateUninitializedArray<byte>((int)total);
            var validity = levels.Validity;
            var position = 0;
            var next = 0;
            for (var i = 0; i < rows; i++)
            {
                offsets[i] = position;
                if (validity is null || (validity[i >> 3] & (1 << (i & 7))) != 0)
                {
                    var s = strings[next++].Span;
                    s.CopyTo(data.AsSpan(position));
                    position += s.Length;
                }
            }

            offsets[rows] = position;
            var arrayData = new ArrayData(StringType.Default, rows, levels.NullCount, 0, [levels.Buffer, new ArrowBuffer(offsetBytes), new ArrowBuffer(data)]);
            return ArrowArrayFactory.BuildArray(arrayData);
        }
        finally
        {
            // Clear so the pool does not keep the decoded byte arrays alive.
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(strings, clearArray: true);
        }
    }

    /// <summary>Decodes values and, for optional fields, definition levels turned into a validity bitmap.</summary>
    private static async ValueTask<Levels> ReadLevelsAsync<T>(ParquetRowGroupReader rowGroup, DataField field, Memory<T> values, int rows, CancellationToken ct)
        where T : struct
    {
        ParquetIntegrity.ValueSlots(rowGroup.GetMetadata(field), repeated: false, rows);
        if (field.MaxDefinitionLevel == 0)
        {
            await ParquetIntegrity.ReadAsync(rowGroup, field, values, null, null, ct).ConfigureAwait(false);
            return default;
        }

        var definitions = ArrayPool<int>.Shared.Rent(rows);
        try
        {
            await ParquetIntegrity.ReadAsync(rowGroup, field, values, definitions.AsMemory(0, rows), null, ct).ConfigureAwait(false);
            return ToValidity(definitions.AsSpan(0, rows), field.MaxDefinitionLevel);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(definitions);
        }
    }

    /// <summary>Builds a validity bitmap from definition levels; none when every value is present.</summary>
    public static Levels ToValidity(ReadOnlySpan<int> definitions, int maxLevel)
    {
        var rows = definitions.Length;
        var present = CountEqual(definitions, maxLevel);
        if (present == rows)
        {
            return default;
        }

        var bits = new byte[(rows + 7) >> 3];
        for (var i = 0; i < rows; i++)
        {
            if (definitions[i] == maxLevel)
            {
                bits[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        return new Levels(bits, rows - present);
    }

    /// <summary>Moves <paramref name="dense"/> packed values to their valid slots, back to front, zeroing null slots.</summary>
    public static void Spread<T>(Span<T> values, byte[] validity, int rows, int dense)
        where T : unmanaged
    {
        var source = dense - 1;
        for (var i = rows - 1; i >= 0; i--)
        {
            values[i] = (validity[i >> 3] & (1 << (i & 7))) != 0 ? values[source--] : default;
        }
    }

    public static int CountEqual(ReadOnlySpan<int> values, int target)
    {
        var count = 0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<int>.Count)
        {
            var wanted = new Vector<int>(target);
            var ints = MemoryMarshal.Cast<int, Vector<int>>(values);
            var sum = Vector<int>.Zero;
            foreach (var v in ints)
            {
                // Equals yields -1 per matching lane.
                sum -= Vector.Equals(v, wanted);
            }

            count = Vector.Sum(sum);
            i = ints.Length * Vector<int>.Count;
        }

        for (; i < values.Length; i++)
        {
            count += values[i] == target ? 1 : 0;
        }

        return count;
    }

    private static void MultiplyAll(Span<long> values, long factor)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= factor;
        }
    }

    private static void FloorDivideAll(Span<long> values, long divisor)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = FloorDivide(values[i], divisor);
        }
    }

    /// <summary>Division rounding towards negative infinity, as timestamp unit conversions require.</summary>
    public static long FloorDivide(long value, long divisor)
    {
        var q = value / divisor;
        return (value % divisor) < 0 ? q - 1 : q;
    }

    private static IArrowArray Build(IArrowType type, int rows, Levels levels, ArrowBuffer values) =>
        ArrowArrayFactory.BuildArray(new ArrayData(type, rows, levels.NullCount, 0, [levels.Buffer, values]));

    /// <summary>A validity bitmap (null when there are no nulls) and the null count.</summary>
    internal readonly record struct Levels(byte[]? Validity, int NullCount)
    {
        public ArrowBuffer Buffer => Validity is null ? ArrowBuffer.Empty : new ArrowBuffer(Validity);
    }
}
