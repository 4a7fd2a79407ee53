using Mlops.Arrow;

namespace Mlops.Features.Joins;

/// <summary>
/// The join table for string and composite keys, compared as byte strings: the full 64-bit hash first,
/// then the bytes, so no string is ever decoded or allocated.
/// </summary>
internal sealed class ByteKeyHashTable : JoinHashTable
{
    private readonly int[] _starts;
    private readonly ulong[] _hashes;
    private readonly int[] _rows;
    private readonly int[] _offsets;
    private readonly ReadOnlyMemory<byte> _data;
    private readonly int _shift;
    private readonly int _rowCount;

    public ByteKeyHashTable(EncodedKeys build)
    {
        var n = build.Length;
        _offsets = build.Offsets;
        _data = build.Data;
        var data = _data.Span;
        var bits = JoinHashing.BucketBits(n);
        _shift = 64 - bits;
        _rowCount = n;
        _starts = new int[(1 << bits) + 1];
        var hashes = new ulong[n];
        for (var i = 0; i < n; i++)
        {
            hashes[i] = JoinHashing.Bytes(data[_offsets[i].._offsets[i + 1]]);
        }

        var buckets = GroupByBucket(hashes, build.Validity.Span, build.ValidityOffset, _shift, _starts);
        var slots = _starts[^1];
        _hashes = new ulong[slots];
        _rows = new int[slots];
        var fill = _starts.AsSpan(0, _starts.Length - 1).ToArray();
        for (var i = 0; i < n; i++)
        {
            var b = buckets[i];
            if (b >= 0)
            {
                var slot = fill[b]++;
                _hashes[slot] = hashes[i];
                _rows[slot] = i;
            }
        }
    }

    public override int RowCount => _rowCount;

    public override int Probe(EncodedKeys probe, ProbeMode mode, ref ProbeCursor cursor, Span<int> probeRows, Span<int> buildRows)
    {
        var length = probe.Length;
        var offsets = probe.Offsets;
        var data = probe.Data.Span;
        var validity = probe.Validity.Span;
        var validityOffset = probe.ValidityOffset;
        var buildData = _data.Span;
        var buildOffsets = _offsets;
        var starts = _starts;
        var hashes = _hashes;
        var rows = _rows;
        var capacity = Math.Min(probeRows.Length, buildRows.Length);
        var emitMisses = mode is ProbeMode.KeepUnmatched or ProbeMode.Anti;
        var existence = mode is ProbeMode.Semi or ProbeMode.Anti;
        var count = 0;
        var row = cursor.Row;
        var position = cursor.Position;
        var end = cursor.End;
        var matched = cursor.Matched;
        var hash = cursor.Hash;
        while (row < length)
        {
            if (position < 0)
            {
                if (!ArrowArrays.IsValid(validity, validityOffset, row))
                {
                    if (emitMisses)
                    {
                        if (count == capacity)
                        {
                            break;
                        }

                        probeRows[count] = row;
                        buildRows[count++] = -1;
                    }

                    row++;
                    continue;
                }

                hash = JoinHashing.Bytes(data[offsets[row]..offsets[row + 1]]);
                var bucket = (int)(hash >> _shift);
                position = starts[bucket];
                end = starts[bucket + 1];
                matched = false;
            }

            var key = data[offsets[row]..offsets[row + 1]];
            if (existence)
            {
                var found = false;
                for (var j = position; j < end; j++)
                {
                    var b = rows[j];
                    if (hashes[j] == hash && key.SequenceEqual(buildData[buildOffsets[b]..buildOffsets[b + 1]]))
                    {
                        found = true;
                        break;
                    }
                }

                if (found == (mode == ProbeMode.Semi))
                {
                    if (count == capacity)
                    {
                        break;
                    }

                    probeRows[count] = row;
                    buildRows[count++] = -1;
                }
            }
            else
            {
                for (; position < end; position++)
                {
                    var b = rows[position];
                    if (hashes[position] == hash && key.SequenceEqual(buildData[buildOffsets[b]..buildOffsets[b + 1]]))
                    {
                        if (count == capacity)
                        {
                            goto Full;
                        }

                        probeRows[count] = row;
                        buildRows[count++] = b;
                        matched = true;
                    }
                }

                if (!matched && emitMisses)
                {
                    if (count == capacity)
                    {
                        break;
                    }

                    probeRows[count] = row;
                    buildRows[count++] = -1;
                }
            }

            position = -1;
            row++;
        }

    Full:
        cursor.Row = row;
        cursor.Position = position;
        cursor.End = end;
        cursor.Matched = matched;
        cursor.Hash = hash;
        return count;
    }
}
