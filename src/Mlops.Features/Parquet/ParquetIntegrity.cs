using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Parquet;
using Parquet.Meta;
using Parquet.Schema;

namespace Mlops.Features.Parquet;

/// <summary>
/// The consistency checks that both Parquet read paths (Arrow batches and dense buffers) make, so a corrupt file fails
/// with a <see cref="DataFormatException"/> naming the file, row group and column instead of decoding to wrong data.
/// </summary>
/// <remarks>
/// <para>From the footer: the file's row count equals the sum of its row groups' row counts; every column chunk has
/// metadata, at least one level slot per row (exactly one for a column that is not repeated), and a byte range inside
/// the file. While decoding: the chunk's value count agrees with the row group, every definition and repetition level
/// slot was written by the decoder and lies within the field's levels, and the pages yielded as many values as the
/// levels call for (a short page leaves slots unwritten). Parquet.Net's own exceptions (Thrift, RLE, decompression,
/// index errors) are wrapped by the callers with the file, row group and column.</para>
/// <para>What stays undetectable: Parquet.Net 6.1 neither verifies the optional page CRC (<c>PageHeader.crc</c>) nor
/// exposes page headers or the raw page bytes through its reader, so a flipped byte inside plain-encoded values (or
/// inside raw literals of a compressed stream, or inside a page header's skippable statistics, which can re-align the
/// header parse onto other bytes) changes values with no count disagreeing. Checking the CRC would need our own
/// Thrift page-header parser over the column chunk's bytes, which this reader deliberately does not carry.</para>
/// </remarks>
internal static class ParquetIntegrity
{
    /// <summary>Level slots are filled with this before decoding; one left behind is a slot the pages did not cover.</summary>
    public const int Unwritten = -1;

    /// <summary>Checks a file's footer: row counts and every column chunk's counts and byte range.</summary>
    public static void CheckFooter(FileMetaData metadata, long fileLength, string file)
    {
        long sum = 0;
        for (var g = 0; g < metadata.RowGroups.Count; g++)
        {
            var group = metadata.RowGroups[g];
            if (group.NumRows < 0)
            {
                throw new DataFormatException($"The footer gives the row group {group.NumRows} rows; the file is corrupt.", file, rowGroup: g);
            }

            sum += group.NumRows;
            foreach (var chunk in group.Columns)
            {
                CheckChunk(chunk, group.NumRows, fileLength, file, g);
            }
        }

        if (sum != metadata.NumRows)
        {
            throw new DataFormatException($"The footer gives the file {metadata.NumRows} rows but its {metadata.RowGroups.Count} row groups hold {sum}; the file is corrupt.", file);
        }
    }

    /// <summary>Checks a column chunk's value count against the row group while decoding: exactly one slot per row when not repeated, at least one when repeated.</summary>
    public static int ValueSlots(ColumnChunk? chunk, bool repeated, int rows)
    {
        var values = chunk?.MetaData?.NumValues ?? throw new InvalidDataException("The row group has no column chunk metadata for the column.");
        if (repeated ? values < rows : values != rows)
        {
            throw new InvalidDataException($"The column chunk holds {values} values but the row group has {rows} rows.");
        }

        return checked((int)values);
    }

    /// <summary>
    /// Decodes a column chunk with Parquet.Net's <c>ReadRawAsync</c> and checks that the pages filled every slot: every
    /// level slot holds a level within the field's range, and the last value slot the levels call for was written.
    /// Parquet.Net does not report how many values it decoded, so the value slots are first filled with a marker; should
    /// the last one still hold it, the chunk is decoded again with another marker, and only a slot holding both (which
    /// no decoded value can) is reported.
    /// </summary>
    public static async ValueTask ReadAsync<T>(ParquetRowGroupReader group, DataField field, Memory<T> values, Memory<int>? definitions, Memory<int>? repetitions, CancellationToken ct)
        where T : struct
    {
        if (await ShortAsync(group, field, values, definitions, repetitions, Marker<T>.First, ct).ConfigureAwait(false)
            && await ShortAsync(group, field, values, definitions, repetitions, Marker<T>.Second, ct).ConfigureAwait(false))
        {
            throw new InvalidDataException("The pages hold fewer values than the definition levels call for; a page is short or its header is corrupt.");
        }
    }

    /// <summary>Decodes once with <paramref name="marker"/> in the value slots; whether the last slot the levels call for still holds it.</summary>
    private static async ValueTask<bool> ShortAsync<T>(ParquetRowGroupReader group, DataField field, Memory<T> values, Memory<int>? definitions, Memory<int>? repetitions, T marker, CancellationToken ct)
        where T : struct
    {
        values.Span.Fill(marker);
        if (definitions is { } d)
        {
            Prepare(d.Span);
        }

        if (repetitions is { } r)
        {
            Prepare(r.Span);
        }

        await group.ReadRawAsync(field, values, definitions, repetitions, ct).ConfigureAwait(false);
        var present = values.Length;
        if (definitions is { } defined)
        {
            CheckLevels(defined.Span, field.MaxDefinitionLevel, "definition");
            present = ParquetColumnDecoder.CountEqual(defined.Span, field.MaxDefinitionLevel);
        }

        if (repetitions is { } repeated)
        {
            CheckLevels(repeated.Span, field.MaxRepetitionLevel, "repetition");
        }

        return present > 0 && Marker<T>.Is(values.Span[present - 1], marker);
    }

    /// <summary>Two value markers per type: bit patterns for plain structs, arrays of our own for byte-array values.</summary>
    private static class Marker<T>
        where T : struct
    {
        public static readonly T First = Make(0xA5);

        public static readonly T Second = Make(0x5A);

        public static bool Is(T value, T marker)
        {
            if (typeof(T) == typeof(ReadOnlyMemory<byte>))
            {
                return MemoryMarshal.TryGetArray(Unsafe.As<T, ReadOnlyMemory<byte>>(ref value), out var a)
                    && MemoryMarshal.TryGetArray(Unsafe.As<T, ReadOnlyMemory<byte>>(ref marker), out var b)
                    && ReferenceEquals(a.Array, b.Array);
            }

            return MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref value, 1)).SequenceEqual(MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref marker, 1)));
        }

        private static T Make(byte pattern)
        {
            if (typeof(T) == typeof(ReadOnlyMemory<byte>))
            {
                var memory = new ReadOnlyMemory<byte>([pattern]);
                return Unsafe.As<ReadOnlyMemory<byte>, T>(ref memory);
            }

            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                throw new NotSupportedException($"No value marker for {typeof(T)}.");
            }

            T value = default;
            MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref value, 1)).Fill(pattern);
            return value;
        }
    }

    /// <summary>Fills level slots with <see cref="Unwritten"/> before decoding.</summary>
    public static void Prepare(Span<int> levels) => levels.Fill(Unwritten);

    /// <summary>Checks that the decoder wrote every level slot and that each lies within 0..<paramref name="maxLevel"/>.</summary>
    public static void CheckLevels(ReadOnlySpan<int> levels, int maxLevel, string kind)
    {
        var bad = levels.IndexOfAnyExceptInRange(0, maxLevel);
        if (bad >= 0)
        {
            throw new InvalidDataException(levels[bad] == Unwritten
                ? $"The pages hold fewer {kind} levels than the column chunk's {levels.Length} values (none from slot {bad}); a page is short or its header is corrupt."
                : $"The {kind} level of slot {bad} is {levels[bad]}, outside 0..{maxLevel}; the page is corrupt.");
        }
    }

    private static void CheckChunk(ColumnChunk chunk, long rows, long fileLength, string file, int rowGroup)
    {
        var meta = chunk.MetaData;
        if (meta is null)
        {
            throw new DataFormatException("A column chunk has no metadata; the file is corrupt.", file, rowGroup: rowGroup);
        }

        var column = meta.PathInSchema is { Count: > 0 } path ? string.Join(".", path) : null;
        if (meta.NumValues < rows)
        {
            throw new DataFormatException($"The column chunk holds {meta.NumValues} values but the row group has {rows} rows; the file is corrupt.", file, column: column, rowGroup: rowGroup);
        }

        var start = meta.DictionaryPageOffset is long d && d > 0 && d < meta.DataPageOffset ? d : meta.DataPageOffset;

        // The chunk lies between the leading magic and the footer's length and trailing magic (8 bytes).
        if (start < 4 || meta.TotalCompressedSize < 0 || start + meta.TotalCompressedSize > fileLength - 8)
        {
            throw new DataFormatException($"The column chunk's bytes ({meta.TotalCompressedSize} from offset {start}) lie outside the file's {fileLength} bytes; the file is truncated or corrupt.", file, column: column, rowGroup: rowGroup);
        }
    }
}
