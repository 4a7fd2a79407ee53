using System.Buffers;
using Apache.Arrow;
using Parquet;

namespace Mlops.Features.Parquet;

/// <summary>
/// Encodes an Arrow <c>list&lt;double&gt;</c> column as a standard three-level Parquet LIST: the dense element
/// values plus repetition levels (0 starts a row) and definition levels (0 null list, 1 empty list, 2 null
/// element when elements are nullable, and the maximum for a value).
/// </summary>
internal static class ParquetListEncoder
{
    /// <summary>Whether every list in the range has at least one element.</summary>
    private static bool IsDense(ReadOnlySpan<int> offsets)
    {
        for (var i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] == offsets[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    public static async Task WriteAsync(ParquetRowGroupWriter writer, ParquetWriteColumn column, IReadOnlyList<BatchSegment> segments, int rows, CancellationToken ct)
    {
        var slots = 0;
        var elementCount = 0;
        foreach (var segment in segments)
        {
            var array = (ListArray)segment.Batch.Column(column.Index);
            var offsets = array.ValueOffsets;
            for (var i = 0; i < segment.Length; i++)
            {
                var row = segment.Offset + i;
                var length = array.IsValid(row) ? offsets[row + 1] - offsets[row] : 0;
                slots += Math.Max(1, length);
                elementCount += length;
            }
        }

        // Levels of a ListField(name, element): optional list (1), repeated group (2), optional element (3).
        const int nullList = 0;
        const int emptyList = 1;
        var valueLevel = column.ElementNullable ? 3 : 2;
        var nullElement = 2;
        var values = ArrayPool<double>.Shared.Rent(Math.Max(1, elementCount));
        var definitions = ArrayPool<int>.Shared.Rent(slots);
        var repetitions = ArrayPool<int>.Shared.Rent(slots);
        try
        {
            var dense = 0;
            var slot = 0;
            foreach (var segment in segments)
            {
                var array = (ListArray)segment.Batch.Column(column.Index);
                var elements = (DoubleArray)array.Values;
                var elementValues = elements.Values;
                var offsets = array.ValueOffsets;
                var first = offsets[segment.Offset];
                var last = offsets[segment.Offset + segment.Length];
                if (array.NullCount == 0 && elements.NullCount == 0 && IsDense(offsets.Slice(segment.Offset, segment.Length + 1)))
                {
                    // Every row holds at least one value and nothing is null (feature vectors): bulk copies and fills.
                    var count = last - first;
                    elementValues[first..last].CopyTo(values.AsSpan(dense));
                    definitions.AsSpan(slot, count).Fill(valueLevel);
                    var rep = repetitions.AsSpan(slot, count);
                    rep.Fill(1);
                    for (var i = 0; i < segment.Length; i++)
                    {
                        rep[offsets[segment.Offset + i] - first] = 0;
                    }

                    dense += count;
                    slot += count;
                    continue;
                }

                for (var i = 0; i < segment.Length; i++)
                {
                    var row = segment.Offset + i;
                    if (!array.IsValid(row))
                    {
                        definitions[slot] = nullList;
                        repetitions[slot++] = 0;
                        continue;
                    }

                    var start = offsets[row];
                    var end = offsets[row + 1];
                    if (start == end)
                    {
                        definitions[slot] = emptyList;
                        repetitions[slot++] = 0;
                        continue;
                    }

                    if (elements.NullCount == 0)
                    {
                        elementValues[start..end].CopyTo(values.AsSpan(dense));
                        dense += end - start;
                        definitions.AsSpan(slot, end - start).Fill(valueLevel);
                    }
                    else
                    {
                        for (var e = start; e < end; e++)
                        {
                            if (elements.IsValid(e))
                            {
                                values[dense++] = elementValues[e];
                                definitions[slot + e - start] = valueLevel;
                            }
                            else if (column.ElementNullable)
                            {
                                definitions[slot + e - start] = nullElement;
                            }
                            else
                            {
                                throw new SchemaException($"Column '{column.Name}' declares non-nullable list elements but a list holds a null.");
                            }
                        }
                    }

                    repetitions.AsSpan(slot, end - start).Fill(1);
                    repetitions[slot] = 0;
                    slot += end - start;
                }
            }

            await writer.WriteAllPartsAsync<double>(column.Leaf, values.AsMemory(0, dense), definitions.AsMemory(0, slots), repetitions.AsMemory(0, slots), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(values);
            ArrayPool<int>.Shared.Return(definitions);
            ArrayPool<int>.Shared.Return(repetitions);
        }
    }
}
