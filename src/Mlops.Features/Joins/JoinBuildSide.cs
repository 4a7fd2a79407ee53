using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features.Joins;

/// <summary>The build side in memory: one concatenated batch (keys first, then the columns the output needs) and its hash table.</summary>
internal sealed record BuiltJoinSide(RecordBatch Batch, JoinHashTable Table);

/// <summary>
/// Reads the build side once, on first use by any probe partition, and shares the result between them.
/// A failed or cancelled build is not remembered, so a later action tries again.
/// </summary>
internal sealed class JoinBuildSide
{
    private readonly Frame _frame;
    private readonly int _keyCount;
    private readonly JoinKeyEncoder _encoder;
    private readonly Lock _gate = new();
    private volatile BuiltJoinSide? _built;

    /// <param name="frame">The build side projected to its key columns first, then the columns the output needs.</param>
    /// <param name="keyCount">How many leading columns are keys.</param>
    /// <param name="encoder">The key encoder shared with the probe side.</param>
    public JoinBuildSide(Frame frame, int keyCount, JoinKeyEncoder encoder)
    {
        _frame = frame;
        _keyCount = keyCount;
        _encoder = encoder;
    }

    public BuiltJoinSide Get(CancellationToken cancellationToken)
    {
        if (_built is { } built)
        {
            return built;
        }

        lock (_gate)
        {
            return _built ??= Build(cancellationToken);
        }
    }

    private BuiltJoinSide Build(CancellationToken cancellationToken)
    {
        var parts = FrameExecution.RunPartitions(
            _frame,
            (_, batches, ct) => batches.Where(b => b.Length > 0).ToList(),
            _frame.Session.DegreeOfParallelism,
            cancellationToken);
        var batches = parts.SelectMany(p => p).ToArray();
        var rows = batches.Sum(b => (long)b.Length);
        if (rows > System.Array.MaxLength / 2)
        {
            throw new InvalidOperationException(
                $"The build side of a join has {rows:N0} rows, more than one in-memory hash table can index; filter or aggregate it first.");
        }

        var batch = ArrowArrays.Concat(_frame.Schema, batches);
        var keys = new EncodedKeys();
        var columns = new IArrowArray[_keyCount];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = batch.Column(i);
        }

        if (batch.Length > 0)
        {
            _encoder.Encode(columns, keys);
        }

        return new BuiltJoinSide(batch, JoinHashTable.Build(_encoder, keys));
    }
}
