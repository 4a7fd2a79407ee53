using Mlops.Data;
using Mlops.Features.FeatureStore.Online;

namespace Mlops.Testing.FeatureStore;

/// <summary>
/// An online store in memory for consumers' unit tests. It is the <see cref="SqliteOnlineStore"/> over a private
/// in-memory database (<see cref="SqliteDatabase.OpenInMemory"/>), so it has exactly the real stores' semantics:
/// newer-wins per entity key (older event timestamps skipped, the created timestamp breaking ties, then the later
/// write), exact value types, one result per key in order. It passes the same contract suite as the SQLite and Redis
/// stores. Nothing touches the disk; the data goes with the store (dispose it).
/// </summary>
public sealed class InMemoryOnlineStore : SqliteOnlineStore
{
    /// <summary>Creates an empty store.</summary>
    public InMemoryOnlineStore()
        : base(SqliteDatabase.OpenInMemory())
    {
    }
}
