using System.Buffers;
using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;

namespace Mlops.Features.Parquet;

/// <summary>
/// Decodes a Parquet LIST of DOUBLE (three-level or legacy repeated) into an Arrow <c>list&lt;double&gt;</c>.
/// The dense element values land directly in the Arrow child buffer; repetition and definition levels
/// become the offsets and the two validity bitmaps in one pass.
/// </summary>
internal static class ParquetListDecoder
{
    public static async ValueTask<IArrowArray> ReadAsync(ParquetRowGroupReader rowGroup, ParquetColumnPlan plan, int rows, CancellationToken ct)
    {
        var field = plan.ReadField!;
        var slots = ParquetIntegrity.ValueSlots(rowGroup.GetMetadata(field), repeated: true, rows);
        var valueBytes = GC.AllocateUninitializedArray<byte>(slots * sizeof(double));
        var values = new CastMemoryManager<double>(valueBytes, slots).Memory;
        var definitions = ArrayPool<int>.Shared.Rent(slots);
        var repetitions = ArrayPool<int>.Shared.Rent(slots);
        try
        {
            await ParquetIntegrity.ReadAsync(rowGroup, field, values, definitions.AsMemory(0, slots), repetitions.AsMemory(0, slots), ct).ConfigureAwait(false);
            return Assemble(plan, rows, values.Span, valueBytes, definitions.AsSpan(0, slots), repetitions.AsSpan(0, slots), field.MaxDefinitionLevel);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(definitions);
            ArrayPool<int>.Shared.Return(repetitions);
        }
    }

    private static ListArray Assemble(ParquetColumnPlan plan, int rows, Span<double> values, byte[] valueBytes, ReadOnlySpan<int> definitions, ReadOnlySpan<int> repetitions, int maxDefinition)
    {
        var offsetBytes = new byte[(rows + 1) * sizeof(int)];
        var offsets = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(offsetBytes.AsSpan());
        var elementLevel = plan.ListElementLevel;
        byte[]? listValidity = null;
        byte[]? elementValidity = null;
        var listNulls = 0;
        var elementNulls = 0;
        var row = -1;
        var elements = 0;
        for (var i = 0; i < definitions.Length; i++)
        {
            if (repetitions[i] == 0)
            {
                if (++row >= rows)
                {
                    throw new InvalidDataException($"The list column holds more rows than the row group's {rows}.");
                }

                offsets[row] = elements;
            }
            else if (row < 0)
            {
                throw new InvalidDataException("The list column starts with a continued list (repetition level above 0).");
            }

            var level = definitions[i];
            if (level >= elementLevel)
            {
                if (level < maxDefinition)
                {
                    elementValidity ??= AllValid(values.Length);
                    elementValidity[elements >> 3] &= (byte)~(1 << (elements & 7));
                    elementNulls++;
                }

                elements++;
            }
            else if (level < elementLevel - 1)
            {
                listValidity ??= AllValid(rows);
                listValidity[row >> 3] &= (byte)~(1 << (row & 7));
                listNulls++;
            }
        }

        if (row != rows - 1)
        {
            throw new InvalidDataException($"The list column holds {row + 1} rows but the row group has {rows}.");
        }

        offsets[rows] = elements;
        if (elementNulls > 0)
        {
            ParquetColumnDecoder.Spread(values[..elements], elementValidity!, elements, elements - elementNulls);
        }

        var listType = (ListType)plan.ArrowField!.DataType;
        var child = new DoubleArray(
            new ArrowBuffer(valueBytes.AsMemory(0, elements * sizeof(double))),
            elementNulls > 0 ? new ArrowBuffer(elementValidity!.AsMemory(0, (elements + 7) >> 3)) : ArrowBuffer.Empty,
            elements,
            elementNulls,
            0);
        return new ListArray(listType, rows, new ArrowBuffer(offsetBytes), child, listNulls > 0 ? new ArrowBuffer(listValidity!) : ArrowBuffer.Empty, listNulls, 0);
    }

    private static byte[] AllValid(int length)
    {
        var bits = new byte[(length + 7) >> 3];
        bits.AsSpan().Fill(0xFF);
        return bits;
    }
}
