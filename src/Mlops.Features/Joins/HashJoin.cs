using System.Buffers;
using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features.Joins;

/// <summary>
/// Executes a <see cref="JoinPlan"/> as a hash join: the build side is read once into a hash table, and
/// each partition of the streamed (probe) side becomes one output partition, so probes run in parallel
/// with no coordination. A full join gets one extra, final partition with the build rows nothing matched.
/// </summary>
internal sealed class HashJoin
{
    /// <summary>The most rows in one output batch, so many-to-many joins do not build huge batches.</summary>
    internal const int MaxBatchRows = 65_536;

    private readonly JoinPlan _plan;
    private readonly Frame _probe;
    private readonly JoinKeyEncoder _encoder;
    private readonly JoinBuildSide _build;
    private readonly int[] _probeKeyIndices;
    private readonly ProbeMode _mode;
    private readonly bool _leftIsProbe;

    private HashJoin(Frame left, Frame right, JoinPlan plan)
    {
        _plan = plan;
        _leftIsProbe = !plan.BuildOnLeft;
        _probe = _leftIsProbe ? left : right;
        var buildSide = _leftIsProbe ? right : left;
        var buildValues = _leftIsProbe ? plan.RightValueIndices : plan.LeftValueIndices;
        var buildColumns = plan.Keys.Select(k => k.Name)
            .Concat(buildValues.Select(i => buildSide.Schema.FieldsList[i].Name))
            .ToArray();
        _encoder = new JoinKeyEncoder(plan.Keys.Select(k => k.Kind));
        _build = new JoinBuildSide(buildSide.Select(buildColumns), plan.Keys.Count, _encoder);
        _probeKeyIndices = plan.Keys.Select(k => _leftIsProbe ? k.LeftIndex : k.RightIndex).ToArray();
        _mode = plan.How switch
        {
            JoinType.Inner => ProbeMode.Inner,
            JoinType.LeftSemi => ProbeMode.Semi,
            JoinType.LeftAnti => ProbeMode.Anti,
            _ => ProbeMode.KeepUnmatched,
        };
    }

    /// <summary>The joined frame; reads nothing until an action runs.</summary>
    public static Frame Create(Frame left, Frame right, JoinPlan plan)
    {
        var join = new HashJoin(left, right, plan);
        var partitions = new List<FramePartition>(join._probe.PartitionCount + 1);
        foreach (var partition in join._probe.Partitions)
        {
            partitions.Add(ct => join.ProbePartition(partition, ct));
        }

        if (plan.How == JoinType.Full)
        {
            partitions.Add(join.UnmatchedBuildRows);
        }

        return Frame.FromPartitions(plan.OutputSchema, partitions, join.EstimateRows(left, right)).WithSession(left.Session);
    }

    // The probe side's count: exact for inner and outer joins on unique build keys, an upper bound for
    // semi and anti joins; full joins also keep the build side, so the larger side's count.
    private long? EstimateRows(Frame left, Frame right) => _plan.How == JoinType.Full
        ? (left.EstimatedRowCount is { } l && right.EstimatedRowCount is { } r ? Math.Max(l, r) : null)
        : _probe.EstimatedRowCount;

    private IEnumerable<RecordBatch> ProbePartition(FramePartition partition, CancellationToken cancellationToken)
    {
        var built = _build.Get(cancellationToken);
        var keys = new EncodedKeys();
        var keyColumns = new IArrowArray[_probeKeyIndices.Length];
        var probeRows = ArrayPool<int>.Shared.Rent(MaxBatchRows);
        var buildRows = ArrayPool<int>.Shared.Rent(MaxBatchRows);
        try
        {
            foreach (var batch in partition(cancellationToken))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (batch.Length == 0)
                {
                    continue;
                }

                for (var i = 0; i < keyColumns.Length; i++)
                {
                    keyColumns[i] = batch.Column(_probeKeyIndices[i]);
                }

                _encoder.Encode(keyColumns, keys);
                var cursor = ProbeCursor.Start;
                while (cursor.Row < batch.Length)
                {
                    var count = built.Table.Probe(keys, _mode, ref cursor, probeRows.AsSpan(0, MaxBatchRows), buildRows.AsSpan(0, MaxBatchRows));
                    if (count > 0)
                    {
                        // Assemble copies the rows out, so the buffers are free again before the batch is handed on.
                        yield return Assemble(batch, built.Batch, probeRows, buildRows, count);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(probeRows);
            ArrayPool<int>.Shared.Return(buildRows);
        }
    }

    // Re-scans only the probe side's key columns to find the build rows nothing matched; doing it here,
    // rather than collecting matches from the probe partitions, needs no coordination between partitions.
    private IEnumerable<RecordBatch> UnmatchedBuildRows(CancellationToken cancellationToken)
    {
        var built = _build.Get(cancellationToken);
        var matched = new byte[built.Table.RowCount];
        var probeKeys = _probe.Select(_plan.Keys.Select(k => k.Name).ToArray());
        FrameExecution.RunPartitions(probeKeys, (_, batches, ct) => MarkMatches(built.Table, batches, matched, ct), probeKeys.Session.DegreeOfParallelism, cancellationToken);

        var noProbe = EmptyBatch(_probe.Schema);
        var chunk = Math.Min(MaxBatchRows, Math.Max(1, matched.Length));
        var probeRows = new int[chunk];
        System.Array.Fill(probeRows, -1);
        var buildRows = new int[chunk];
        var count = 0;
        for (var row = 0; row < matched.Length; row++)
        {
            if (matched[row] != 0)
            {
                continue;
            }

            buildRows[count++] = row;
            if (count == chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return Assemble(noProbe, built.Batch, probeRows, buildRows, count);
                count = 0;
            }
        }

        if (count > 0)
        {
            yield return Assemble(noProbe, built.Batch, probeRows, buildRows, count);
        }
    }

    // Partitions write 1s into the shared array at once; a byte store is atomic and every writer stores the same value.
    private int MarkMatches(JoinHashTable table, IEnumerable<RecordBatch> batches, byte[] matched, CancellationToken cancellationToken)
    {
        var keys = new EncodedKeys();
        var keyColumns = new IArrowArray[_plan.Keys.Count];
        var probeRows = ArrayPool<int>.Shared.Rent(MaxBatchRows);
        var buildRows = ArrayPool<int>.Shared.Rent(MaxBatchRows);
        try
        {
            foreach (var batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (batch.Length == 0)
                {
                    continue;
                }

                for (var i = 0; i < keyColumns.Length; i++)
                {
                    keyColumns[i] = batch.Column(i);
                }

                _encoder.Encode(keyColumns, keys);
                var cursor = ProbeCursor.Start;
                while (cursor.Row < batch.Length)
                {
                    var count = table.Probe(keys, ProbeMode.Inner, ref cursor, probeRows.AsSpan(0, MaxBatchRows), buildRows.AsSpan(0, MaxBatchRows));
                    for (var i = 0; i < count; i++)
                    {
                        matched[buildRows[i]] = 1;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(probeRows);
            ArrayPool<int>.Shared.Return(buildRows);
        }

        return 0;
    }

    private RecordBatch Assemble(RecordBatch probe, RecordBatch build, int[] probeRowBuffer, int[] buildRowBuffer, int count)
    {
        ReadOnlySpan<int> probeRows = probeRowBuffer.AsSpan(0, count);
        ReadOnlySpan<int> buildRows = buildRowBuffer.AsSpan(0, count);
        var leftRows = _leftIsProbe ? probeRows : buildRows;
        var rightRows = _leftIsProbe ? buildRows : probeRows;

        // When the chunk's probe rows are one ascending run (every probe row in it matched exactly once, as in a
        // join on unique build keys), the probe side's columns are zero-copy views instead of gathered copies.
        var run = ContiguousRunStart(probeRows);
        IArrowArray Rows(IArrowArray column, bool probeSide, ReadOnlySpan<int> rows) =>
            probeSide && run >= 0 ? ArrowArrays.Slice(column, run, count) : ArrowArrays.Take(column, rows);

        var keys = _plan.Keys;
        var columns = new IArrowArray[_plan.OutputSchema.FieldsList.Count];
        var c = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var left = _leftIsProbe ? probe.Column(key.LeftIndex) : build.Column(i);
            var right = _leftIsProbe ? build.Column(i) : probe.Column(key.RightIndex);
            var type = key.OutputField.DataType;
            var fromRight = _plan.How == JoinType.Right;
            var source = fromRight ? right : left;
            if (_plan.How != JoinType.Full && run >= 0 && fromRight != _leftIsProbe && SchemaChecks.SameType(source.Data.DataType, type))
            {
                columns[c++] = ArrowArrays.Slice(source, run, count);
                continue;
            }

            columns[c++] = _plan.How switch
            {
                JoinType.Right => JoinKeyColumns.Gather(type, right, rightRows, null, default),
                JoinType.Full => JoinKeyColumns.Gather(type, left, leftRows, right, rightRows),
                _ => JoinKeyColumns.Gather(type, left, leftRows, null, default),
            };
        }

        var leftValues = _plan.LeftValueIndices;
        for (var j = 0; j < leftValues.Count; j++)
        {
            var column = _leftIsProbe ? probe.Column(leftValues[j]) : build.Column(keys.Count + j);
            columns[c++] = Rows(column, _leftIsProbe, leftRows);
        }

        var rightValues = _plan.RightValueIndices;
        for (var j = 0; j < rightValues.Count; j++)
        {
            var column = _leftIsProbe ? build.Column(keys.Count + j) : probe.Column(rightValues[j]);
            columns[c++] = Rows(column, !_leftIsProbe, rightRows);
        }

        return new RecordBatch(_plan.OutputSchema, columns, count);
    }

    /// <summary>The first row when <paramref name="rows"/> is <c>first, first + 1, ...</c>; otherwise -1.</summary>
    internal static int ContiguousRunStart(ReadOnlySpan<int> rows)
    {
        if (rows.IsEmpty || rows[0] < 0 || rows[^1] - rows[0] != rows.Length - 1)
        {
            return -1;
        }

        var first = rows[0];
        for (var i = 1; i < rows.Length; i++)
        {
            if (rows[i] != first + i)
            {
                return -1;
            }
        }

        return first;
    }

    private static RecordBatch EmptyBatch(Schema schema) =>
        new(schema, schema.FieldsList.Select(f => ColumnBuilder.Create(f.DataType, 0).Build()), 0);
}
