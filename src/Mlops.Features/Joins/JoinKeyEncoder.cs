using System.Buffers.Binary;
using System.Numerics;
using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features.Joins;

/// <summary>Turns key columns into <see cref="EncodedKeys"/>; both sides of a join use the same encoder.</summary>
internal sealed class JoinKeyEncoder
{
    private static readonly long CanonicalNaN = BitConverter.DoubleToInt64Bits(double.NaN);
    private readonly JoinKeyKind[] _kinds;

    public JoinKeyEncoder(IEnumerable<JoinKeyKind> kinds)
    {
        _kinds = kinds.ToArray();
    }

    /// <summary>Whether keys are single normalised longs (one non-string key) rather than byte strings.</summary>
    public bool UsesLongs => _kinds.Length == 1 && _kinds[0] != JoinKeyKind.Utf8;

    /// <summary>Encodes the key columns of one batch (all of the same length) into <paramref name="keys"/>.</summary>
    public void Encode(IReadOnlyList<IArrowArray> columns, EncodedKeys keys)
    {
        var length = columns[0].Length;
        keys.Length = length;
        if (columns.Count == 1)
        {
            var column = columns[0];
            keys.Validity = column.NullCount == 0 ? default : column.Data.Buffers[0].Memory;
            keys.ValidityOffset = column.Offset;
            if (UsesLongs)
            {
                ToLongs(column, keys.LongBuffer(length).AsSpan(0, length));
            }
            else
            {
                // A single string key is compared in place: only its offsets are copied.
                var strings = (StringArray)column;
                strings.ValueOffsets.CopyTo(keys.OffsetBuffer(length + 1));
                keys.Data = strings.ValueBuffer.Memory;
            }

            return;
        }

        EncodeComposite(columns, keys, length);
    }

    /// <summary>
    /// Writes an integer-like or floating column as normalised longs: integers, booleans, dates and
    /// timestamps as their value; floats and doubles as the bits of the double with every NaN made one NaN
    /// and -0.0 made 0.0, so equal keys have equal longs. Null slots hold arbitrary values.
    /// </summary>
    public static void ToLongs(IArrowArray column, Span<long> target)
    {
        switch (column)
        {
            case PrimitiveArray<long> a:
                a.Values.CopyTo(target);
                break;
            case PrimitiveArray<int> a:
                Widen(a.Values, target);
                break;
            case PrimitiveArray<short> a:
                Widen(a.Values, target);
                break;
            case PrimitiveArray<sbyte> a:
                Widen(a.Values, target);
                break;
            case PrimitiveArray<ulong> a:
                Widen(a.Values, target);
                break;
            case PrimitiveArray<uint> a:
                Widen(a.Values, target);
                break;
            case PrimitiveArray<ushort> a:
                Widen(a.Values, target);
                break;
            case PrimitiveArray<byte> a:
                Widen(a.Values, target);
                break;
            case PrimitiveArray<double> a:
                var doubles = a.Values;
                for (var i = 0; i < doubles.Length; i++)
                {
                    target[i] = Normalize(doubles[i]);
                }

                break;
            case PrimitiveArray<float> a:
                var floats = a.Values;
                for (var i = 0; i < floats.Length; i++)
                {
                    target[i] = Normalize(floats[i]);
                }

                break;
            case BooleanArray a:
                var bits = a.Data.Buffers[1].Span;
                for (var i = 0; i < a.Length; i++)
                {
                    target[i] = ArrowArrays.IsValid(bits, a.Offset, i) ? 1 : 0;
                }

                break;
            default:
                throw new NotSupportedException($"Arrow type '{column.Data.DataType.Name}' cannot be a join key.");
        }
    }

    private static long Normalize(double value) =>
        value == 0 ? 0 : double.IsNaN(value) ? CanonicalNaN : BitConverter.DoubleToInt64Bits(value);

    private static void Widen<T>(ReadOnlySpan<T> source, Span<long> target)
        where T : unmanaged, IBinaryInteger<T>
    {
        for (var i = 0; i < source.Length; i++)
        {
            target[i] = long.CreateTruncating(source[i]);
        }
    }

    // Each row becomes its columns one after another: 8 bytes per integer-like or floating key, and a
    // 4-byte length plus the UTF-8 bytes per string key, so equal byte strings mean equal keys.
    private void EncodeComposite(IReadOnlyList<IArrowArray> columns, EncodedKeys keys, int length)
    {
        var offsets = keys.OffsetBuffer(length + 1);
        var fixedBytes = 8 * _kinds.Count(k => k != JoinKeyKind.Utf8);
        for (var i = 0; i <= length; i++)
        {
            offsets[i] = fixedBytes;
        }

        foreach (var column in columns)
        {
            if (column is StringArray s)
            {
                var so = s.ValueOffsets;
                for (var i = 0; i < length; i++)
                {
                    offsets[i + 1] += 4 + so[i + 1] - so[i];
                }
            }
        }

        // Prefix sum: offsets[i + 1] holds row i's size until now.
        long total = 0;
        offsets[0] = 0;
        for (var i = 1; i <= length; i++)
        {
            total += offsets[i];
            if (total > int.MaxValue)
            {
                throw new InvalidOperationException("The join keys of one batch exceed 2 GiB; use smaller batches.");
            }

            offsets[i] = (int)total;
        }

        var bytes = keys.ByteBuffer((int)total);
        var cursor = keys.CursorBuffer(length);
        offsets.AsSpan(0, length).CopyTo(cursor);
        var longs = keys.LongBuffer(length);
        foreach (var column in columns)
        {
            if (column is StringArray s)
            {
                var so = s.ValueOffsets;
                var data = s.ValueBuffer.Span;
                for (var i = 0; i < length; i++)
                {
                    var start = so[i];
                    var size = so[i + 1] - start;
                    BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(cursor[i]), size);
                    data.Slice(start, size).CopyTo(bytes.AsSpan(cursor[i] + 4));
                    cursor[i] += 4 + size;
                }
            }
            else
            {
                ToLongs(column, longs.AsSpan(0, length));
                for (var i = 0; i < length; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(cursor[i]), longs[i]);
                    cursor[i] += 8;
                }
            }
        }

        keys.Data = bytes;
        keys.ValidityOffset = 0;
        keys.Validity = CombinedValidity(columns, keys, length);
    }

    private static ReadOnlyMemory<byte> CombinedValidity(IReadOnlyList<IArrowArray> columns, EncodedKeys keys, int length)
    {
        if (columns.All(c => c.NullCount == 0))
        {
            return default;
        }

        var size = (length + 7) >> 3;
        var bitmap = keys.ValidityBuffer(size);
        bitmap.AsSpan(0, size).Fill(0xFF);
        foreach (var column in columns)
        {
            if (column.NullCount == 0)
            {
                continue;
            }

            var validity = column.Data.Buffers[0].Span;
            for (var i = 0; i < length; i++)
            {
                if (!ArrowArrays.IsValid(validity, column.Offset, i))
                {
                    bitmap[i >> 3] &= (byte)~(1 << (i & 7));
                }
            }
        }

        return bitmap.AsMemory(0, size);
    }
}
