namespace Mlops.Training.Data.Pipeline;

/// <summary>A run of consecutive rows of one unit, in the order a pass emits them.</summary>
/// <param name="Unit">The unit (row group or in-memory block).</param>
/// <param name="Row">The first row within the unit.</param>
/// <param name="Length">How many rows.</param>
internal readonly record struct RecordRun(int Unit, int Row, int Length);

/// <summary>
/// The order in which one pass emits records, computed from row counts alone, never from data: the units' rows in
/// natural order, clipped to the source window; then, when shuffling, the units in a seeded random order and the
/// records through a tf.data-style shuffle buffer (fill the buffer, emit a random element, put the next input in its
/// place). A buffer at least as large as the pass makes this a uniform random permutation. Because only positions
/// move through the buffer, skipping to a later batch costs a few nanoseconds per skipped record and decodes nothing.
/// </summary>
/// <remarks>
/// The order also tracks, per unit, how many of its rows are still to come, so the reader can drop a decoded unit as
/// soon as its last row has been emitted (<see cref="DrainFinishedUnits"/>).
/// </remarks>
internal sealed class PassOrder
{
    private readonly Segment[] _segments;
    private readonly int[] _pending;
    private readonly List<int> _finished = [];
    private readonly RecordRef[]? _buffer;
    private ShuffleRandom _random;
    private int _buffered;
    private bool _filled;
    private int _segment;
    private int _segmentOffset;
    private long _inputLeft;

    private PassOrder(Segment[] segments, long length, int unitCount, ShuffleSpec? shuffle, long pass, int seedReplica)
    {
        _segments = segments;
        Length = length;
        _inputLeft = length;
        _pending = new int[unitCount];
        foreach (var segment in segments)
        {
            _pending[segment.Unit] += segment.Length;
        }

        if (shuffle is not null && length > 1)
        {
            var shufflePass = shuffle.ReshuffleEachPass ? pass : 0;
            var unitRandom = new ShuffleRandom(shuffle.Seed, shufflePass, stream: 1, seedReplica);
            unitRandom.Shuffle(_segments.AsSpan());
            _random = new ShuffleRandom(shuffle.Seed, shufflePass, stream: 2, seedReplica);
            _buffer = new RecordRef[(int)Math.Min(shuffle.BufferSize, length)];
        }
    }

    /// <summary>Records in the pass.</summary>
    public long Length { get; }

    /// <summary>Plans a pass over <paramref name="view"/>'s units, keeping records [first, first + length) of their natural order.</summary>
    /// <param name="view">The units this reader streams, in natural order, with their row counts.</param>
    /// <param name="first">Records of the natural order skipped first (the source window).</param>
    /// <param name="length">Records kept.</param>
    /// <param name="unitCount">Units in the whole source (unit ids index per-unit state).</param>
    /// <param name="shuffle">The shuffle, or null to keep the natural order.</param>
    /// <param name="pass">The pass, mixed into the shuffle's seed.</param>
    /// <param name="seedReplica">Mixed into the seed too: the replica under file sharding (each shuffles its own files), otherwise 0.</param>
    public static PassOrder Create(IReadOnlyList<(int Unit, int Rows)> view, long first, long length, int unitCount, ShuffleSpec? shuffle, long pass, int seedReplica)
    {
        var segments = new List<Segment>(view.Count);
        long position = 0;
        var end = first + length;
        foreach (var (unit, rows) in view)
        {
            var from = Math.Max(position, first);
            var to = Math.Min(position + rows, end);
            if (to > from)
            {
                segments.Add(new Segment(unit, (int)(from - position), (int)(to - from)));
            }

            position += rows;
            if (position >= end)
            {
                break;
            }
        }

        return new PassOrder(segments.ToArray(), length, unitCount, shuffle, pass, seedReplica);
    }

    /// <summary>Advances past <paramref name="count"/> records without producing them.</summary>
    public void Skip(long count)
    {
        if (_buffer is null)
        {
            TakeSequential(count, null);
            return;
        }

        for (long i = 0; i < count; i++)
        {
            NextShuffled(null);
        }
    }

    /// <summary>Appends the next <paramref name="count"/> records to <paramref name="runs"/> (adjacent rows merged into one run).</summary>
    public void Emit(int count, List<RecordRun> runs)
    {
        if (_buffer is null)
        {
            TakeSequential(count, runs);
            return;
        }

        for (var i = 0; i < count; i++)
        {
            NextShuffled(runs);
        }
    }

    /// <summary>Adds the units the input reaches next (the one being read first) to <paramref name="units"/>, up to <paramref name="count"/> in all.</summary>
    public void UpcomingUnits(List<int> units, int count)
    {
        for (var s = _segment; s < _segments.Length && units.Count < count; s++)
        {
            units.Add(_segments[s].Unit);
        }
    }

    /// <summary>Hands over the units whose every row of this pass has been emitted since the last call, so the caller can drop their data.</summary>
    public void DrainFinishedUnits(Action<int> release)
    {
        foreach (var unit in _finished)
        {
            release(unit);
        }

        _finished.Clear();
    }

    private void TakeSequential(long count, List<RecordRun>? runs)
    {
        while (count > 0)
        {
            if (_segment >= _segments.Length)
            {
                throw new InvalidOperationException($"The pass has {Length} records; reading past its end is a bug in the dataset reader.");
            }

            var segment = _segments[_segment];
            var take = (int)Math.Min(count, segment.Length - _segmentOffset);
            runs?.Add(new RecordRun(segment.Unit, segment.Start + _segmentOffset, take));
            Consume(segment.Unit, take);
            _segmentOffset += take;
            _inputLeft -= take;
            count -= take;
            if (_segmentOffset == segment.Length)
            {
                _segment++;
                _segmentOffset = 0;
            }
        }
    }

    private void NextShuffled(List<RecordRun>? runs)
    {
        var buffer = _buffer!;
        if (!_filled)
        {
            while (_buffered < buffer.Length)
            {
                buffer[_buffered++] = NextInput();
            }

            _filled = true;
        }

        if (_buffered == 0)
        {
            throw new InvalidOperationException($"The pass has {Length} records; reading past its end is a bug in the dataset reader.");
        }

        var j = _random.NextInt(_buffered);
        var record = buffer[j];
        buffer[j] = _inputLeft > 0 ? NextInput() : buffer[--_buffered];
        Consume(record.Unit, 1);
        if (runs is null)
        {
            return;
        }

        if (runs.Count > 0 && runs[^1] is var last && last.Unit == record.Unit && last.Row + last.Length == record.Row)
        {
            runs[^1] = last with { Length = last.Length + 1 };
        }
        else
        {
            runs.Add(new RecordRun(record.Unit, record.Row, 1));
        }
    }

    private RecordRef NextInput()
    {
        var segment = _segments[_segment];
        var record = new RecordRef(segment.Unit, segment.Start + _segmentOffset);
        _inputLeft--;
        if (++_segmentOffset == segment.Length)
        {
            _segment++;
            _segmentOffset = 0;
        }

        return record;
    }

    private void Consume(int unit, int rows)
    {
        if ((_pending[unit] -= rows) == 0)
        {
            _finished.Add(unit);
        }
    }

    private readonly record struct Segment(int Unit, int Start, int Length);

    private readonly record struct RecordRef(int Unit, int Row);
}
