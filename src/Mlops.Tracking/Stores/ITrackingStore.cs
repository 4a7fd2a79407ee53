namespace Mlops.Tracking.Stores;

/// <summary>
/// Where experiments and runs live: the embedded SQLite store, an MLflow REST server, or an in-memory fake.
/// Every implementation has MLflow's semantics (param immutability, latest-value metric search, limits) and reports
/// failures as <see cref="MlflowException"/> with MLflow's error codes.
/// </summary>
public interface ITrackingStore
{
    /// <summary>The root under which new experiments put their artifacts.</summary>
    string DefaultArtifactRoot { get; }

    /// <summary>Creates an experiment and returns its id.</summary>
    /// <exception cref="MlflowException">The name is taken (RESOURCE_ALREADY_EXISTS) or invalid.</exception>
    Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>Gets an experiment by id.</summary>
    /// <exception cref="MlflowException">It does not exist (RESOURCE_DOES_NOT_EXIST).</exception>
    Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default);

    /// <summary>Gets an experiment by name, or null.</summary>
    Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists experiments, newest first unless ordered otherwise (order_by on name, experiment_id, creation_time, last_update_time); the filter takes <c>name</c> and <c>tags.&lt;key&gt;</c> with =, !=, LIKE, ILIKE joined by AND.</summary>
    Task<PagedList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default);

    /// <summary>Marks an experiment and its runs deleted.</summary>
    Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default);

    /// <summary>Restores a deleted experiment and its runs.</summary>
    Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default);

    /// <summary>Renames an experiment.</summary>
    Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default);

    /// <summary>Sets a tag on an experiment.</summary>
    Task SetExperimentTagAsync(string experimentId, RunTag tag, CancellationToken cancellationToken = default);

    /// <summary>Creates a run in RUNNING status.</summary>
    Task<Run> CreateRunAsync(string experimentId, string? userId, long startTime, string? runName, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default);

    /// <summary>Gets a run with its latest metrics, params and tags.</summary>
    /// <exception cref="MlflowException">It does not exist (RESOURCE_DOES_NOT_EXIST).</exception>
    Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Updates a run's status, end time and/or name; returns the new info.</summary>
    Task<RunInfo> UpdateRunInfoAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken cancellationToken = default);

    /// <summary>Marks a run deleted.</summary>
    Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Restores a deleted run.</summary>
    Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Logs metrics, params and tags atomically, within MLflow's batch limits.</summary>
    /// <exception cref="MlflowException">A limit is exceeded, a key is invalid, or a param would change (INVALID_PARAMETER_VALUE).</exception>
    Task LogBatchAsync(string runId, IReadOnlyList<RunMetric>? metrics, IReadOnlyList<Param>? parameters, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default);

    /// <summary>Deletes a tag of a run.</summary>
    Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default);

    /// <summary>Every value a run logged for a metric, by step then timestamp.</summary>
    Task<IReadOnlyList<RunMetric>> GetMetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default);

    /// <summary>Searches runs with MLflow's filter grammar and order_by keys.</summary>
    Task<PagedList<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, int maxResults = TrackingLimits.DefaultSearchRunsResults, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default);
}
