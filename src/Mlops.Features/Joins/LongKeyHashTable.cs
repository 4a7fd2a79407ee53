using Mlops.Arrow;

namespace Mlops.Features.Joins;

/// <summary>The join table for one integer-like or floating key, compared as normalised longs.</summary>
internal sealed class LongKeyHashTable : JoinHashTable
{
    private readonly int[] _starts;
    private readonly long[] _keys;
    private readonly int[] _rows;
    private readonly int _shift;
    private readonly int _rowCount;

    public LongKeyHashTable(EncodedKeys build)
    {
        var n = build.Length;
        var keys = build.Longs.AsSpan(0, n);
        var validity = build.Validity.Span;
        var bits = JoinHashing.BucketBits(n);
        _shift = 64 - bits;
        _rowCount = n;
        _starts = new int[(1 << bits) + 1];
        var hashes = new ulong[n];
        for (var i = 0; i < n; i++)
        {
            hashes[i] = JoinHashing.Mix(keys[i]);
        }

        var buckets = GroupByBucket(hashes, validity, build.ValidityOffset, _shift, _starts);
        var slots = _starts[^1];
        _keys = new long[slots];
        _rows = new int[slots];
        var fill = _starts.AsSpan(0, _starts.Length - 1).ToArray();
        for (var i = 0; i < n; i++)
        {
            var b = buckets[i];
            if (b >= 0)
            {
                var slot = fill[b]++;
                _keys[slot] = keys[i];
                _rows[slot] = i;
            }
        }
    }

    public override int RowCount => _rowCount;

    public override int Probe(EncodedKeys probe, ProbeMode mode, ref ProbeCursor cursor, Span<int> probeRows, Span<int> buildRows)
    {
        var keys = probe.Longs.AsSpan(0, probe.Length);
        var validity = probe.Validity.Span;
        var validityOffset = probe.ValidityOffset;
        var starts = _starts;
        var table = _keys;
        var rows = _rows;
        var shift = _shift;
        var capacity = Math.Min(probeRows.Length, buildRows.Length);
        var emitMisses = mode is ProbeMode.KeepUnmatched or ProbeMode.Anti;
        var existence = mode is ProbeMode.Semi or ProbeMode.Anti;
        var count = 0;
        var row = cursor.Row;
        var position = cursor.Position;
        var end = cursor.End;
        var matched = cursor.Matched;
        while (row < keys.Length)
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

                var bucket = (int)(JoinHashing.Mix(keys[row]) >> shift);
                position = starts[bucket];
                end = starts[bucket + 1];
                matched = false;
            }

            var key = keys[row];
            if (existence)
            {
                var found = false;
                for (var j = position; j < end; j++)
                {
                    if (table[j] == key)
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
                    if (table[position] == key)
                    {
                        if (count == capacity)
                        {
                            goto Full;
                        }

                        probeRows[count] = row;
                        buildRows[count++] = rows[position];
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
        return count;
    }
}
