using System.Buffers;
using System.Numerics;
using Parquet;

namespace Mlops.Features.Parquet;

/// <summary>
/// Decodes one row group into caller-provided dense buffers: the vector column (or the scalar feature columns) into a
/// row-major matrix and the label column into a vector, as float32 or float64. When the stored and wanted types agree
/// and every vector is complete, Parquet.Net decodes straight into the matrix; otherwise values pass through a pooled
/// buffer once. Every row is checked: a null, an empty vector or a vector of another width is reported with the file,
/// the row group and the row.
/// </summary>
internal static class ParquetDenseDecoder
{
    public static void Decode<T>(ParquetReader reader, ParquetDenseFile file, int rowGroup, int width, Memory<T> features, Memory<T> labels, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        using var group = reader.OpenRowGroupReader(rowGroup);
        var rows = checked((int)group.RowCount);
        if (rows != file.RowGroupRows[rowGroup])
        {
            throw new DataFormatException($"The row group has {rows} rows but had {file.RowGroupRows[rowGroup]} when the reader was opened; the file was changed after it was opened.", file.Name, rowGroup: rowGroup);
        }

        Fill(group, file, rowGroup, rows, width, features[..checked(rows * width)], labels[..rows], cancellationToken);
    }

    /// <summary>Decodes only the vector column of a row group, to find and report the row whose vector is wrong.</summary>
    public static void CheckVectors(ParquetReader reader, ParquetDenseFile file, int rowGroup, int width, CancellationToken cancellationToken)
    {
        using var group = reader.OpenRowGroupReader(rowGroup);
        var rows = checked((int)group.RowCount);
        var scratch = new double[checked(rows * width)];
        Guard(file, rowGroup, file.Vector!.Name, () => ReadVector(group, file, rowGroup, file.Vector!, rows, width, scratch.AsMemory(), cancellationToken));
    }

    /// <summary>The number of values in the first row's vector of a row group (which sets the width when the footer cannot).</summary>
    public static int FirstVectorLength(ParquetReader reader, ParquetDenseFile file, int rowGroup, CancellationToken cancellationToken)
    {
        var length = 0;
        Guard(file, rowGroup, file.Vector!.Name, () => length = FirstVectorLengthOf(reader, file, rowGroup, cancellationToken));
        return length;
    }

    private static int FirstVectorLengthOf(ParquetReader reader, ParquetDenseFile file, int rowGroup, CancellationToken cancellationToken)
    {
        var column = file.Vector!;
        using var group = reader.OpenRowGroupReader(rowGroup);
        var slots = checked((int)file.VectorValues[rowGroup]);
        var values = new double[Math.Max(slots, 1)];
        var definitions = new int[Math.Max(slots, 1)];
        var repetitions = new int[Math.Max(slots, 1)];
        if (column.IsFloat)
        {
            Wait(group.ReadRawAsync(column.Leaf, new float[Math.Max(slots, 1)].AsMemory(0, slots), definitions.AsMemory(0, slots), repetitions.AsMemory(0, slots), cancellationToken));
        }
        else
        {
            Wait(group.ReadRawAsync(column.Leaf, values.AsMemory(0, slots), definitions.AsMemory(0, slots), repetitions.AsMemory(0, slots), cancellationToken));
        }

        var count = 0;
        for (var i = 0; i < slots && (i == 0 || repetitions[i] != 0); i++)
        {
            count += definitions[i] == column.Leaf.MaxDefinitionLevel ? 1 : 0;
        }

        if (count == 0)
        {
            throw new DataFormatException(
                $"row {file.RowGroupFirstRow[rowGroup]} of the file (row 0 of the row group) has a null or empty vector; feature vectors need at least one value. Fill or drop such rows in the feature job before training.",
                file.Name,
                column: column.Name,
                rowGroup: rowGroup);
        }

        return count;
    }

    /// <summary>Decodes only the scalar columns of a row group, to find and report a null.</summary>
    public static void CheckScalars(ParquetReader reader, ParquetDenseFile file, int rowGroup, CancellationToken cancellationToken)
    {
        using var group = reader.OpenRowGroupReader(rowGroup);
        var rows = checked((int)group.RowCount);
        var scratch = new double[rows];
        foreach (var column in file.Scalars.Append(file.Label))
        {
            Guard(file, rowGroup, column.Name, () => ReadScalar<double>(group, file, rowGroup, column, rows, scratch, 1, 0, cancellationToken));
        }
    }

    /// <summary>Runs a check's decode, turning Parquet.Net's and the integrity checks' exceptions into one naming the file, row group and column.</summary>
    private static void Guard(ParquetDenseFile file, int rowGroup, string column, Action decode)
    {
        try
        {
            decode();
        }
        catch (Exception e) when (e is not MlopsException and not OperationCanceledException)
        {
            throw new DataFormatException($"Cannot decode the row group ({e.Message}); the file is corrupt or was changed after it was opened.", file.Name, column: column, rowGroup: rowGroup, innerException: e);
        }
    }

    private static void Fill<T>(ParquetRowGroupReader group, ParquetDenseFile file, int rowGroup, int rows, int width, Memory<T> features, Memory<T> labels, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        string? column = null;
        try
        {
            if (file.Vector is { } vector)
            {
                column = vector.Name;
                ReadVector(group, file, rowGroup, vector, rows, width, features, cancellationToken);
            }
            else
            {
                for (var j = 0; j < file.Scalars.Length; j++)
                {
                    column = file.Scalars[j].Name;
                    ReadScalar(group, file, rowGroup, file.Scalars[j], rows, features.Span, width, j, cancellationToken);
                }
            }

            column = file.Label.Name;
            ReadScalar(group, file, rowGroup, file.Label, rows, labels.Span, 1, 0, cancellationToken);
        }
        catch (Exception e) when (e is not MlopsException and not OperationCanceledException)
        {
            throw new DataFormatException($"Cannot decode the row group ({e.Message}); the file is corrupt or was changed after it was opened.", file.Name, column: column, rowGroup: rowGroup, innerException: e);
        }
    }

    private static void ReadVector<T>(ParquetRowGroupReader group, ParquetDenseFile file, int rowGroup, DenseVectorColumn column, int rows, int width, Memory<T> target, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        if (column.IsFloat)
        {
            ReadVector<float, T>(group, file, rowGroup, column, rows, width, target, cancellationToken);
        }
        else
        {
            ReadVector<double, T>(group, file, rowGroup, column, rows, width, target, cancellationToken);
        }
    }

    private static void ReadVector<TStored, T>(ParquetRowGroupReader group, ParquetDenseFile file, int rowGroup, DenseVectorColumn column, int rows, int width, Memory<T> target, CancellationToken cancellationToken)
        where TStored : unmanaged, INumberBase<TStored>
        where T : unmanaged, INumberBase<T>
    {
        var slots = ParquetIntegrity.ValueSlots(group.GetMetadata(column.Leaf), repeated: true, rows);
        var cells = rows * width;
        var direct = typeof(TStored) == typeof(T) && slots == cells;
        var stored = direct ? null : ArrayPool<TStored>.Shared.Rent(Math.Max(slots, 1));
        var definitions = ArrayPool<int>.Shared.Rent(Math.Max(slots, 1));
        var repetitions = ArrayPool<int>.Shared.Rent(Math.Max(slots, 1));
        try
        {
            var values = direct ? (Memory<TStored>)(object)target[..cells] : stored.AsMemory(0, slots);
            Wait(ParquetIntegrity.ReadAsync(group, column.Leaf, values, definitions.AsMemory(0, slots), repetitions.AsMemory(0, slots), cancellationToken));
            var levels = definitions.AsSpan(0, slots);
            var repeats = repetitions.AsSpan(0, slots);
            var maxLevel = column.Leaf.MaxDefinitionLevel;
            if (!IsComplete(levels, repeats, rows, width, maxLevel))
            {
                throw VectorProblem(file, rowGroup, column, levels, repeats, width, maxLevel);
            }

            if (!direct)
            {
                var from = stored.AsSpan(0, cells);
                var to = target.Span[..cells];
                for (var i = 0; i < from.Length; i++)
                {
                    to[i] = T.CreateTruncating(from[i]);
                }
            }
        }
        finally
        {
            if (stored is not null)
            {
                ArrayPool<TStored>.Shared.Return(stored);
            }

            ArrayPool<int>.Shared.Return(definitions);
            ArrayPool<int>.Shared.Return(repetitions);
        }
    }

    /// <summary>Whether the levels describe exactly <paramref name="rows"/> present vectors of <paramref name="width"/> present values.</summary>
    private static bool IsComplete(ReadOnlySpan<int> levels, ReadOnlySpan<int> repeats, int rows, int width, int maxLevel)
    {
        if (levels.Length != rows * width || ParquetColumnDecoder.CountEqual(levels, maxLevel) != levels.Length || ParquetColumnDecoder.CountEqual(repeats, 0) != rows)
        {
            return false;
        }

        // Exactly `rows` row starts, and one at every multiple of the width: so every row has `width` values.
        for (var start = 0; start < repeats.Length; start += width)
        {
            if (repeats[start] != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Walks the levels to the first row that is not a complete vector of the width, and describes it.</summary>
    private static DataFormatException VectorProblem(ParquetDenseFile file, int rowGroup, DenseVectorColumn column, ReadOnlySpan<int> levels, ReadOnlySpan<int> repeats, int width, int maxLevel)
    {
        var row = -1;
        var count = 0;
        for (var i = 0; i <= levels.Length; i++)
        {
            if (i == levels.Length || repeats[i] == 0)
            {
                if (row >= 0 && count != width)
                {
                    return Problem(count == 0 ? "an empty vector" : $"a vector of {count} values");
                }

                if (i == levels.Length)
                {
                    break;
                }

                row++;
                count = 0;
            }

            var level = levels[i];
            if (level == maxLevel)
            {
                count++;
            }
            else if (level >= column.ElementLevel)
            {
                return Problem($"a null value at position {count} of its vector");
            }
            else if (level < column.ElementLevel - 1)
            {
                return Problem("a null vector");
            }
        }

        return new DataFormatException($"The column's levels do not describe {file.RowGroupRows[rowGroup]} vectors of {width} values; the file may be corrupt.", file.Name, column: column.Name, rowGroup: rowGroup);

        DataFormatException Problem(string what) => new(
            $"row {file.RowGroupFirstRow[rowGroup] + row} of the file (row {row} of the row group) has {what}, but every feature vector must have {width} values (the dataset's width). Fill or drop such rows in the feature job before training.",
            file.Name,
            column: column.Name,
            rowGroup: rowGroup);
    }

    private static void ReadScalar<T>(ParquetRowGroupReader group, ParquetDenseFile file, int rowGroup, DenseScalarColumn column, int rows, Span<T> target, int stride, int offset, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        switch (column.Kind)
        {
            case DenseScalarKind.Boolean:
                ReadScalar<bool, T>(group, file, rowGroup, column, rows, target, stride, offset, static v => v ? T.One : T.Zero, cancellationToken);
                break;
            case DenseScalarKind.Int32:
                ReadScalar<int, T>(group, file, rowGroup, column, rows, target, stride, offset, static v => T.CreateTruncating(v), cancellationToken);
                break;
            case DenseScalarKind.UInt32:
                ReadScalar<int, T>(group, file, rowGroup, column, rows, target, stride, offset, static v => T.CreateTruncating((uint)v), cancellationToken);
                break;
            case DenseScalarKind.Int64:
                ReadScalar<long, T>(group, file, rowGroup, column, rows, target, stride, offset, static v => T.CreateTruncating(v), cancellationToken);
                break;
            case DenseScalarKind.UInt64:
                ReadScalar<long, T>(group, file, rowGroup, column, rows, target, stride, offset, static v => T.CreateTruncating((ulong)v), cancellationToken);
                break;
            case DenseScalarKind.Float:
                ReadScalar<float, T>(group, file, rowGroup, column, rows, target, stride, offset, static v => T.CreateTruncating(v), cancellationToken);
                break;
            default:
                ReadScalar<double, T>(group, file, rowGroup, column, rows, target, stride, offset, static v => T.CreateTruncating(v), cancellationToken);
                break;
        }
    }

    private static void ReadScalar<TStored, T>(ParquetRowGroupReader group, ParquetDenseFile file, int rowGroup, DenseScalarColumn column, int rows, Span<T> target, int stride, int offset, Func<TStored, T> convert, CancellationToken cancellationToken)
        where TStored : struct
        where T : unmanaged
    {
        var values = ArrayPool<TStored>.Shared.Rent(Math.Max(rows, 1));
        var maxLevel = column.Field.MaxDefinitionLevel;
        var definitions = maxLevel > 0 ? ArrayPool<int>.Shared.Rent(Math.Max(rows, 1)) : null;
        try
        {
            ParquetIntegrity.ValueSlots(group.GetMetadata(column.Field), repeated: false, rows);
            Wait(ParquetIntegrity.ReadAsync(group, column.Field, values.AsMemory(0, rows), definitions?.AsMemory(0, rows), null, cancellationToken));
            if (definitions is not null && ParquetColumnDecoder.CountEqual(definitions.AsSpan(0, rows), maxLevel) != rows)
            {
                var row = definitions.AsSpan(0, rows).IndexOfAnyExcept(maxLevel);
                var role = ReferenceEquals(column, file.Label) ? "label" : "feature";
                throw new DataFormatException(
                    $"row {file.RowGroupFirstRow[rowGroup] + row} of the file (row {row} of the row group) has a null {role}. Fill or drop such rows in the feature job before training.",
                    file.Name,
                    column: column.Name,
                    rowGroup: rowGroup);
            }

            var source = values.AsSpan(0, rows);
            for (var r = 0; r < source.Length; r++)
            {
                target[(r * stride) + offset] = convert(source[r]);
            }
        }
        finally
        {
            ArrayPool<TStored>.Shared.Return(values);
            if (definitions is not null)
            {
                ArrayPool<int>.Shared.Return(definitions);
            }
        }
    }

    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    private static void Wait(ValueTask task) => task.GetAwaiter().GetResult();
}
