using Apache.Arrow;
using Apache.Arrow.Ipc;
using Mlops.Arrow;

namespace Mlops.Features.FeatureStore.Retrieval;

/// <summary>Counters of one join or materialization, for tests and logs: what spilled and the most rows held at once.</summary>
internal sealed class SpillStatistics
{
    public int Partitions { get; set; }

    public int SpillFiles { get; set; }

    public long SpilledRows { get; set; }

    public long PeakBufferedRows { get; set; }

    public long PeakPartitionRows { get; set; }

    public long FeatureRows { get; set; }

    /// <summary>Reading, normalizing and partitioning the entity rows (every view).</summary>
    public TimeSpan EntityPartitioning { get; set; }

    /// <summary>Reading, normalizing, partitioning and spilling the feature rows (every view).</summary>
    public TimeSpan FeaturePartitioning { get; set; }

    /// <summary>Loading, sorting and merging the partitions (every view).</summary>
    public TimeSpan Merging { get; set; }

    /// <summary>Of <see cref="Merging"/>, sorting the partitions' rows.</summary>
    public TimeSpan Sorting { get; set; }

    /// <summary>Reading the entity rows again and gathering each view's features beside them (excluding the consumer's time).</summary>
    public TimeSpan Assembling { get; set; }

    public void ObservePartition(long rows) => PeakPartitionRows = Math.Max(PeakPartitionRows, rows);
}

/// <summary>
/// Splits rows into hash partitions, keeping them in memory until the buffered bytes pass the budget, then writing
/// each partition's buffer to its own Arrow IPC spill file in the temp folder. Reading a partition yields its rows in
/// the order they were appended. Deletes its files on dispose.
/// </summary>
internal sealed class SpillPartitioner : IDisposable
{
    private readonly Schema _schema;
    private readonly long _budgetBytes;
    private readonly string _folder;
    private readonly SpillStatistics _stats;
    private readonly List<RecordBatch>[] _buffers;
    private readonly long[] _bufferedBytes;
    private readonly long[] _bufferedRows;
    private readonly FileStream?[] _files;
    private readonly ArrowStreamWriter?[] _writers;
    private readonly int _rowBytes;
    private long _totalBufferedBytes;
    private long _totalBufferedRows;

    public SpillPartitioner(Schema schema, int partitions, long budgetBytes, string folder, SpillStatistics stats)
    {
        _schema = schema;
        _budgetBytes = budgetBytes;
        _folder = folder;
        _stats = stats;
        _buffers = Enumerable.Range(0, partitions).Select(_ => new List<RecordBatch>()).ToArray();
        _bufferedBytes = new long[partitions];
        _bufferedRows = new long[partitions];
        _files = new FileStream?[partitions];
        _writers = new ArrowStreamWriter?[partitions];
        _rowBytes = RowBytes(schema);
    }

    public int Count => _buffers.Length;

    public Schema Schema => _schema;

    /// <summary>Estimated bytes per row of <paramref name="schema"/> (8 per fixed-width value, 32 per string or list).</summary>
    public static int RowBytes(Schema schema) =>
        Math.Max(8, schema.FieldsList.Sum(f => f.DataType is Apache.Arrow.Types.StringType or Apache.Arrow.Types.ListType ? 32 : 8));

    /// <summary>How many partitions keep one partition of <paramref name="estimatedBytes"/> under half the budget (a power of two, 1 to 1024).</summary>
    public static int PartitionsFor(long? estimatedBytes, long budgetBytes)
    {
        if (estimatedBytes is not { } bytes)
        {
            return 64;
        }

        var wanted = (bytes * 2 + budgetBytes - 1) / budgetBytes;
        return wanted <= 1 ? 1 : (int)Math.Min(1024, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)wanted));
    }

    /// <summary>Partition of a row from its key hash (the high bits, so the join's sort by hash stays useful).</summary>
    public static int PartitionOf(ulong hash, int partitions) => partitions == 1 ? 0 : (int)(hash >> (64 - System.Numerics.BitOperations.Log2((uint)partitions)));

    /// <summary>Adds the rows of <paramref name="batch"/>, row i to partition <paramref name="partitionOfRow"/>[i] (-1: dropped).</summary>
    public void Append(RecordBatch batch, ReadOnlySpan<int> partitionOfRow)
    {
        var counts = new int[_buffers.Length];
        foreach (var p in partitionOfRow)
        {
            if (p >= 0)
            {
                counts[p]++;
            }
        }

        var indices = new int[_buffers.Length][];
        for (var p = 0; p < counts.Length; p++)
        {
            indices[p] = new int[counts[p]];
            counts[p] = 0;
        }

        for (var i = 0; i < partitionOfRow.Length; i++)
        {
            var p = partitionOfRow[i];
            if (p >= 0)
            {
                indices[p][counts[p]++] = i;
            }
        }

        for (var p = 0; p < indices.Length; p++)
        {
            if (indices[p].Length > 0)
            {
                Add(p, indices[p].Length == batch.Length ? batch : ArrowArrays.Take(batch, indices[p]));
            }
        }
    }

    /// <summary>Adds a batch to one partition.</summary>
    public void Add(int partition, RecordBatch batch)
    {
        _buffers[partition].Add(batch);
        var bytes = (long)batch.Length * _rowBytes;
        _bufferedBytes[partition] += bytes;
        _bufferedRows[partition] += batch.Length;
        _totalBufferedBytes += bytes;
        _totalBufferedRows += batch.Length;
        _stats.PeakBufferedRows = Math.Max(_stats.PeakBufferedRows, _totalBufferedRows);
        if (_totalBufferedBytes > _budgetBytes)
        {
            // Over budget: write out the largest buffers until under half of it, so spills come in sizeable pieces.
            foreach (var p in Enumerable.Range(0, _buffers.Length).OrderByDescending(i => _bufferedBytes[i]))
            {
                if (_totalBufferedBytes <= _budgetBytes / 2 || _bufferedRows[p] == 0)
                {
                    break;
                }

                Spill(p);
            }
        }
    }

    /// <summary>The rows of one partition, in append order: spilled ones first (they were appended first), then the buffered ones.</summary>
    public IEnumerable<RecordBatch> Read(int partition)
    {
        if (_writers[partition] is { } writer)
        {
            Spill(partition);
            writer.WriteEnd();
            _files[partition]!.Flush();
            _writers[partition] = null;
        }

        if (_files[partition] is { } file)
        {
            file.Position = 0;
            using var reader = new ArrowStreamReader(file, leaveOpen: true);
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                yield return batch;
            }
        }

        foreach (var batch in _buffers[partition])
        {
            yield return batch;
        }
    }

    /// <summary>Reads a partition into one batch (or null when empty) and releases its buffer.</summary>
    public RecordBatch? Load(int partition)
    {
        var batches = Read(partition).ToList();
        Release(partition);
        return batches.Count == 0 ? null : batches.Count == 1 ? batches[0] : ArrowArrays.Concat(_schema, batches);
    }

    public void Dispose()
    {
        for (var p = 0; p < _files.Length; p++)
        {
            Release(p);
        }
    }

    private void Release(int partition)
    {
        _totalBufferedBytes -= _bufferedBytes[partition];
        _totalBufferedRows -= _bufferedRows[partition];
        _bufferedBytes[partition] = 0;
        _bufferedRows[partition] = 0;
        _buffers[partition].Clear();
        _writers[partition]?.Dispose();
        _writers[partition] = null;
        if (_files[partition] is { } file)
        {
            file.Dispose();
            File.Delete(file.Name);
            _files[partition] = null;
        }
    }

    private void Spill(int partition)
    {
        if (_buffers[partition].Count == 0)
        {
            return;
        }

        if (_writers[partition] is null)
        {
            Directory.CreateDirectory(_folder);
            var path = Path.Combine(_folder, $"spill-{Guid.NewGuid():N}.arrows");
            _files[partition] = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            _writers[partition] = new ArrowStreamWriter(_files[partition]!, _schema, leaveOpen: true);
            _stats.SpillFiles++;
        }

        var merged = _buffers[partition].Count == 1 ? _buffers[partition][0] : ArrowArrays.Concat(_schema, _buffers[partition]);
        _writers[partition]!.WriteRecordBatch(merged);
        _stats.SpilledRows += merged.Length;
        _totalBufferedBytes -= _bufferedBytes[partition];
        _totalBufferedRows -= _bufferedRows[partition];
        _bufferedBytes[partition] = 0;
        _bufferedRows[partition] = 0;
        _buffers[partition].Clear();
    }
}
