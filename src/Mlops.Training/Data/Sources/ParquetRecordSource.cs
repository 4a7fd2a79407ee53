using Mlops.Features;
using static TorchSharp.torch;

namespace Mlops.Training.Data.Sources;

/// <summary>
/// Records from Parquet files through the Features dense reader: every non-empty row group is a unit. Opening reads
/// only the footers; row groups are decoded when read, straight into the block's arrays.
/// </summary>
internal sealed class ParquetRecordSource : RecordSource
{
    private readonly ParquetDenseReader _reader;
    private readonly SourceUnit[] _units;
    private readonly int _readAhead;

    public ParquetRecordSource(ParquetDenseReader reader, int readAhead)
    {
        _reader = reader;
        _readAhead = readAhead;
        _units = reader.RowGroups.Select(g => new SourceUnit(g.File, g.Rows)).ToArray();
    }

    public override int FeatureWidth => _reader.FeatureWidth;

    public override IReadOnlyList<SourceUnit> Units => _units;

    public override int FileCount => _reader.Files.Count;

    public override string Description => _reader.Description;

    public override IRecordBlockReader OpenReader(ScalarType elementType) => new Reader(this, elementType);

    /// <summary>Decodes one unit into new arrays with <paramref name="cursor"/> (the reading thread's, or one opened for a unit read ahead).</summary>
    private RecordBlock Decode(int unit, ParquetDenseCursor cursor, ScalarType elementType, CancellationToken cancellationToken)
    {
        var group = _reader.RowGroups[unit];
        var cells = checked(group.Rows * FeatureWidth);
        if (elementType == ScalarType.Float64)
        {
            var (features, labels) = (GC.AllocateUninitializedArray<double>(cells), GC.AllocateUninitializedArray<double>(group.Rows));
            cursor.ReadRowGroup(group.File, group.RowGroup, features, labels, cancellationToken);
            return new RecordBlock(features, labels, FeatureWidth);
        }

        var (singleFeatures, singleLabels) = (GC.AllocateUninitializedArray<float>(cells), GC.AllocateUninitializedArray<float>(group.Rows));
        cursor.ReadRowGroup(group.File, group.RowGroup, singleFeatures, singleLabels, cancellationToken);
        return new RecordBlock(singleFeatures, singleLabels, FeatureWidth);
    }

    /// <summary>
    /// One enumeration's decoder: a cursor keeps the last few files open for units loaded on the reading thread, and
    /// up to the source's read-ahead count of hinted units decode on thread-pool threads (each with its own cursor and
    /// file handle, as a Parquet reader is not shared between threads).
    /// </summary>
    private sealed class Reader(ParquetRecordSource source, ScalarType elementType) : IRecordBlockReader
    {
        private readonly ParquetDenseCursor _cursor = source._reader.OpenCursor();
        private readonly Dictionary<int, Task<RecordBlock>> _ahead = [];
        private readonly List<Task> _abandoned = [];
        private readonly CancellationTokenSource _stop = new();

        public RecordBlock Load(int unit, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_ahead.Remove(unit, out var ahead))
            {
                try
                {
                    ahead.Wait(cancellationToken);
                }
                catch (AggregateException)
                {
                    // Rethrown unwrapped, as the decoder threw it, just below.
                }

                return ahead.GetAwaiter().GetResult();
            }

            return source.Decode(unit, _cursor, elementType, cancellationToken);
        }

        public void ReadAhead(int unit, CancellationToken cancellationToken)
        {
            if (_ahead.Count >= source._readAhead || _ahead.ContainsKey(unit))
            {
                return;
            }

            var token = _stop.Token;
            _ahead[unit] = Task.Run(
                () =>
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
                    using var cursor = source._reader.OpenCursor();
                    return source.Decode(unit, cursor, elementType, linked.Token);
                },
                CancellationToken.None);
        }

        public void Forget(int unit)
        {
            if (_ahead.Remove(unit, out var ahead))
            {
                _abandoned.Add(ahead);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var task in _ahead.Values.Concat(_abandoned))
            {
                try
                {
                    task.Wait();
                }
                catch (AggregateException)
                {
                    // Stopped or failed work read ahead for rows that are no longer wanted.
                }
            }

            _ahead.Clear();
            _abandoned.Clear();
            _cursor.Dispose();
            _stop.Dispose();
        }
    }
}
