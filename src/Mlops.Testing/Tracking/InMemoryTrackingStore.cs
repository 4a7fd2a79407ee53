using Mlops.Data;
using Mlops.Tracking;
using Mlops.Tracking.Stores;

namespace Mlops.Testing.Tracking;

/// <summary>
/// A tracking store in memory for consumers' unit tests:
/// <c>new TrackingClient(new InMemoryTrackingStore(), new InMemoryModelRegistryStore())</c>. It is the
/// <see cref="SqliteTrackingStore"/> over a private in-memory database (<see cref="SqliteDatabase.OpenInMemory"/>),
/// so it has exactly the real store's semantics (MLflow's): validation and limits, param immutability, atomic
/// batches, the latest-value metric rule, the full search grammar with the same ordering and paging, lifecycle rules.
/// Nothing touches the disk; the data goes with the store.
/// </summary>
public sealed class InMemoryTrackingStore : SqliteTrackingStore
{
    /// <summary>Creates an empty store holding only the Default experiment ("0").</summary>
    /// <param name="defaultArtifactRoot">The artifact root of new experiments (a temp folder by default).</param>
    /// <param name="timeProvider">The clock for creation times.</param>
    public InMemoryTrackingStore(string? defaultArtifactRoot = null, TimeProvider? timeProvider = null)
        : base(SqliteDatabase.OpenInMemory(), ":memory:", defaultArtifactRoot ?? Path.Combine(Path.GetTempPath(), "mlops-inmemory-mlruns"), timeProvider)
    {
    }

    /// <summary>How many runs the store holds (all lifecycle stages, all experiments).</summary>
    public int RunCount
    {
        get
        {
            var experimentIds = new List<string>();
            string? token = null;
            do
            {
                var page = SearchExperimentsAsync(ViewType.All, TrackingLimits.MaxResultsPerPage, pageToken: token).GetAwaiter().GetResult();
                experimentIds.AddRange(page.Select(e => e.ExperimentId));
                token = page.NextPageToken;
            }
            while (token is not null);

            var count = 0;
            do
            {
                var page = SearchRunsAsync(experimentIds, viewType: ViewType.All, maxResults: TrackingLimits.MaxResultsPerPage, pageToken: token).GetAwaiter().GetResult();
                count += page.Count;
                token = page.NextPageToken;
            }
            while (token is not null);
            return count;
        }
    }
}
