using Mlops.Data;
using Mlops.Pipelines;

namespace Mlops.Testing;

/// <summary>
/// An <see cref="IPipelineStore"/> in memory, for tests: the <see cref="SqlitePipelineStore"/> over a private in-memory
/// database (<see cref="SqliteDatabase.OpenInMemory"/>), so it has exactly the durable store's semantics (unique run
/// ids and logical dates per DAG, atomic batches, run ownership, newest-first queries) without a file. Thread-safe.
/// Nothing survives the store.
/// </summary>
public sealed class InMemoryPipelineStore : SqlitePipelineStore
{
    private int _appliedBatches;

    /// <summary>Creates an empty store.</summary>
    public InMemoryPipelineStore()
        : base(SqliteDatabase.OpenInMemory(), ":memory:")
    {
    }

    /// <summary>How many batches <see cref="Apply"/> has written (to assert on persistence in tests).</summary>
    public int AppliedBatches => Volatile.Read(ref _appliedBatches);

    /// <inheritdoc/>
    public override void Apply(PipelineStateChanges changes)
    {
        base.Apply(changes);
        if (!changes.IsEmpty)
        {
            Interlocked.Increment(ref _appliedBatches);
        }
    }
}
