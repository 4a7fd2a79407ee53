using Mlops.Data;
using Mlops.Tracking.Registry;

namespace Mlops.Testing.Tracking;

/// <summary>
/// A model registry in memory for consumers' unit tests. It is the <see cref="SqliteModelRegistryStore"/> over a
/// private in-memory database (<see cref="SqliteDatabase.OpenInMemory"/>), so it has exactly the real registry's
/// semantics (MLflow's): naming rules and limits, version numbering, tags, aliases, search and paging. Nothing touches
/// the disk; the data goes with the store.
/// </summary>
public sealed class InMemoryModelRegistryStore : SqliteModelRegistryStore
{
    /// <summary>Creates an empty registry.</summary>
    /// <param name="timeProvider">The clock for timestamps.</param>
    public InMemoryModelRegistryStore(TimeProvider? timeProvider = null)
        : base(SqliteDatabase.OpenInMemory(), timeProvider)
    {
    }
}
