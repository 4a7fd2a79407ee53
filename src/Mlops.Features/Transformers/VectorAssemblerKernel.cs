using System.Buffers;
using System.Numerics;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>
/// Assembles one batch at a time: writes the output values (rows × size doubles) straight from the input
/// buffers with one typed loop per input column, and gathers the valid rows first when skipping.
/// </summary>
internal sealed class VectorAssemblerKernel
{
    private readonly Schema _schema;
    private readonly AssemblerInput[] _inputs;
    private readonly int _size;
    private readonly HandleInvalid _handleInvalid;
    private readonly ListType _listType;

    public VectorAssemblerKernel(Schema schema, AssemblerInput[] inputs, int size, HandleInvalid handleInvalid)
    {
        _schema = schema;
        _inputs = inputs;
        _size = size;
        _handleInvalid = handleInvalid;
        _listType = (ListType)schema.FieldsList[^1].DataType;
    }

    public IEnumerable<RecordBatch> Run(IEnumerable<RecordBatch> batches, int partition, CancellationToken cancellationToken)
    {
        long rowBase = 0;
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = Assemble(batch, partition, rowBase);
            rowBase += batch.Length;
            if (result.Length > 0)
            {
                yield return result;
            }
        }
    }

    /// <summary>Assembles one batch; <paramref name="rowBase"/> is the partition row number of its first row, for messages.</summary>
    public RecordBatch Assemble(RecordBatch batch, int partition, long rowBase)
    {
        int[]? kept = null;
        bool[]? invalid = null;
        try
        {
            if (_handleInvalid != HandleInvalid.Keep)
            {
                invalid = FindInvalidRows(batch, out var firstRow, out var firstInput);
                if (invalid is not null)
                {
                    if (_handleInvalid == HandleInvalid.Error)
                    {
                        var input = _inputs[firstInput];
                        throw new DataFormatException(
                            $"VectorAssembler found {Describe(batch.Column(input.ColumnIndex), input, firstRow)} at row {rowBase + firstRow} of partition {partition} with handleInvalid = \"error\". " +
                            "Remove such rows, or call SetHandleInvalid(\"skip\") to drop them or SetHandleInvalid(\"keep\") to output NaN.",
                            column: input.Name);
                    }

                    kept = ArrayPool<int>.Shared.Rent(batch.Length);
                    var count = 0;
                    for (var r = 0; r < batch.Length; r++)
                    {
                        if (!invalid[r])
                        {
                            kept[count++] = r;
                        }
                    }

                    batch = ArrowArrays.Take(batch, kept.AsSpan(0, count));
                }
            }

            return Build(batch, partition, rowBase, kept);
        }
        finally
        {
            if (invalid is not null)
            {
                ArrayPool<bool>.Shared.Return(invalid);
            }

            if (kept is not null)
            {
                ArrayPool<int>.Shared.Return(kept);
            }
        }
    }

    /// <summary>Appends the vector column to a batch whose rows are all to be assembled.</summary>
    private RecordBatch Build(RecordBatch batch, int partition, long rowBase, int[]? kept)
    {
        var rows = batch.Length;

        // Every slot is written by exactly one input's fill below, so neither buffer is zeroed first.
        var values = GC.AllocateUninitializedArray<double>(checked(rows * _size));
        foreach (var input in _inputs)
        {
            var column = batch.Column(input.ColumnIndex);
            if (input.IsVector)
            {
                FillVector((ListArray)column, values, input, partition, rowBase, kept);
            }
            else
            {
                FillScalar(column, values, input.Offset);
            }
        }

        var offsets = GC.AllocateUninitializedArray<int>(rows + 1);
        offsets[0] = 0;
        for (var r = 1; r <= rows; r++)
        {
            offsets[r] = offsets[r - 1] + _size;
        }

        var child = new DoubleArray(ArrayMemory<double>.Buffer(values), ArrowBuffer.Empty, values.Length, 0, 0);
        var vectors = new ListArray(_listType, rows, ArrayMemory<int>.Buffer(offsets), child, ArrowBuffer.Empty, 0, 0);
        var columns = new IArrowArray[batch.ColumnCount + 1];
        for (var c = 0; c < batch.ColumnCount; c++)
        {
            columns[c] = batch.Column(c);
        }

        columns[^1] = vectors;
        return new RecordBatch(_schema, columns, rows);
    }

    /// <summary>Marks rows with an invalid input; null when every row is valid. Reports the first such row and its first bad input.</summary>
    private bool[]? FindInvalidRows(RecordBatch batch, out int firstRow, out int firstInput)
    {
        bool[]? invalid = null;
        firstRow = int.MaxValue;
        firstInput = -1;
        for (var i = 0; i < _inputs.Length; i++)
        {
            var column = batch.Column(_inputs[i].ColumnIndex);
            var first = column switch
            {
                DoubleArray a => MarkNullOrNaN(a, ref invalid),
                FloatArray a => MarkNullOrNaN(a, ref invalid),
                ListArray a => MarkInvalidVectors(a, ref invalid),
                _ => MarkNulls(column, ref invalid),
            };
            if (first >= 0 && first < firstRow)
            {
                firstRow = first;
                firstInput = i;
            }
        }

        return invalid;
    }

    private static int MarkNulls(IArrowArray array, ref bool[]? invalid)
    {
        if (array.NullCount == 0)
        {
            return -1;
        }

        var validity = ArrowArrays.Validity(array);
        var first = -1;
        for (var r = 0; r < array.Length; r++)
        {
            if (!ArrowArrays.IsValid(validity, array.Offset, r))
            {
                (invalid ??= RentCleared(array.Length))[r] = true;
                first = first < 0 ? r : first;
            }
        }

        return first;
    }

    private static int MarkNullOrNaN<T>(PrimitiveArray<T> array, ref bool[]? invalid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var first = MarkNulls(array, ref invalid);
        var values = array.Values;
        for (var r = 0; r < values.Length; r++)
        {
            if (T.IsNaN(values[r]))
            {
                (invalid ??= RentCleared(array.Length))[r] = true;
                first = first < 0 || r < first ? r : first;
            }
        }

        return first;
    }

    private static int MarkInvalidVectors(ListArray array, ref bool[]? invalid)
    {
        var first = MarkNulls(array, ref invalid);
        var child = array.Values;
        if (child.NullCount == 0)
        {
            return first;
        }

        var listValidity = ArrowArrays.Validity(array);
        var childValidity = ArrowArrays.Validity(child);
        var offsets = array.ValueOffsets;
        for (var r = 0; r < array.Length; r++)
        {
            if (!ArrowArrays.IsValid(listValidity, array.Offset, r))
            {
                continue;
            }

            for (var k = offsets[r]; k < offsets[r + 1]; k++)
            {
                if (!ArrowArrays.IsValid(childValidity, child.Offset, k))
                {
                    (invalid ??= RentCleared(array.Length))[r] = true;
                    first = first < 0 || r < first ? r : first;
                    break;
                }
            }
        }

        return first;
    }

    // The mask is pooled (Assemble returns it); a rented array holds old marks, so the used part is cleared.
    private static bool[] RentCleared(int length)
    {
        var mask = ArrayPool<bool>.Shared.Rent(length);
        System.Array.Clear(mask, 0, length);
        return mask;
    }

    private static string Describe(IArrowArray column, AssemblerInput input, int row)
    {
        if (column.IsNull(row))
        {
            return "a null value";
        }

        return input.IsVector ? "a null element in a vector" : "a NaN value";
    }

    private void FillScalar(IArrowArray column, double[] values, int offset)
    {
        switch (column)
        {
            case DoubleArray a:
                FillNumbers(a, values, offset);
                break;
            case FloatArray a:
                FillNumbers(a, values, offset);
                break;
            case Int64Array a:
                FillNumbers(a, values, offset);
                break;
            case Int32Array a:
                FillNumbers(a, values, offset);
                break;
            case Int16Array a:
                FillNumbers(a, values, offset);
                break;
            case Int8Array a:
                FillNumbers(a, values, offset);
                break;
            case BooleanArray a:
                FillBooleans(a, values, offset);
                break;
            default:
                throw new InvalidOperationException($"Unexpected input array {column.GetType().Name}.");
        }
    }

    private void FillNumbers<T>(PrimitiveArray<T> array, double[] values, int offset)
        where T : unmanaged, INumberBase<T>
    {
        var source = array.Values;
        var size = _size;
        var target = offset;
        for (var r = 0; r < source.Length; r++, target += size)
        {
            values[target] = double.CreateTruncating(source[r]);
        }

        MarkNullsNaN(array, values, offset);
    }

    private void FillBooleans(BooleanArray array, double[] values, int offset)
    {
        var bits = array.ValueBuffer.Span;
        var size = _size;
        var target = offset;
        for (var r = 0; r < array.Length; r++, target += size)
        {
            values[target] = ArrowArrays.IsValid(bits, array.Offset, r) ? 1.0 : 0.0;
        }

        MarkNullsNaN(array, values, offset);
    }

    // Only reached with handleInvalid = "keep": in the other modes no null gets this far.
    private void MarkNullsNaN(IArrowArray array, double[] values, int offset)
    {
        if (array.NullCount == 0)
        {
            return;
        }

        var validity = ArrowArrays.Validity(array);
        for (var r = 0; r < array.Length; r++)
        {
            if (!ArrowArrays.IsValid(validity, array.Offset, r))
            {
                values[(r * _size) + offset] = double.NaN;
            }
        }
    }

    private void FillVector(ListArray array, double[] values, AssemblerInput input, int partition, long rowBase, int[]? kept)
    {
        var width = input.Width;
        var listValidity = ArrowArrays.Validity(array);
        var offsets = array.ValueOffsets;
        var child = (DoubleArray)array.Values;
        var childValues = child.Values;
        var childValidity = ArrowArrays.Validity(child);
        for (var r = 0; r < array.Length; r++)
        {
            var target = values.AsSpan((r * _size) + input.Offset, width);
            if (!ArrowArrays.IsValid(listValidity, array.Offset, r))
            {
                target.Fill(double.NaN);
                continue;
            }

            var start = offsets[r];
            var length = offsets[r + 1] - start;
            if (length != width)
            {
                var row = rowBase + (kept is null ? r : kept[r]);
                throw new DataFormatException(
                    $"VectorAssembler expected vectors of size {width} but found one of size {length} at row {row} of partition {partition}. " +
                    "Every vector of an input column must have the same size (taken from its metadata or its first value).",
                    column: input.Name);
            }

            childValues.Slice(start, width).CopyTo(target);
            if (!childValidity.IsEmpty)
            {
                for (var k = 0; k < width; k++)
                {
                    if (!ArrowArrays.IsValid(childValidity, child.Offset, start + k))
                    {
                        target[k] = double.NaN;
                    }
                }
            }
        }
    }
}
