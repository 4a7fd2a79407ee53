using Mlops.Data;
using Mlops.Features.FeatureStore.Registry;

namespace Mlops.Testing.FeatureStore;

/// <summary>
/// A feature registry for consumers' tests: the real <see cref="SqliteFeatureRegistry"/> over a private in-memory
/// SQLite database, so plans, applies, deletions and materialization intervals behave exactly as in production and
/// vanish on dispose.
/// </summary>
public sealed class InMemoryFeatureRegistry : SqliteFeatureRegistry
{
    /// <summary>Creates an empty registry.</summary>
    /// <param name="project">The project.</param>
    /// <param name="refreshInterval">How long readers reuse a snapshot (zero: always current).</param>
    /// <param name="timeProvider">The refresh clock, such as a <c>FakeTimeProvider</c>.</param>
    public InMemoryFeatureRegistry(string project = "test", TimeSpan refreshInterval = default, TimeProvider? timeProvider = null)
        : base(SqliteDatabase.OpenInMemory(), "in-memory", project, refreshInterval, timeProvider)
    {
    }
}
