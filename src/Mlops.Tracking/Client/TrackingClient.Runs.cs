using Mlops.Tracking.Artifacts;
using Mlops.Tracking.Search;

namespace Mlops.Tracking;

public sealed partial class TrackingClient
{
    /// <summary>
    /// Starts a run and returns it as an <see cref="ActiveRun"/>: <c>using var run = tracking.StartRun("name");</c>
    /// ends it FINISHED, or FAILED when the using block is left by an exception.
    /// </summary>
    /// <param name="runName">The run's name; a generated one if null.</param>
    /// <param name="experimentId">The experiment; the Default experiment ("0") if null.</param>
    /// <param name="tags">Tags to set at start.</param>
    /// <param name="parentRunId">Makes this a nested run of that run (tag <c>mlflow.parentRunId</c>).</param>
    public ActiveRun StartRun(string? runName = null, string? experimentId = null, IReadOnlyDictionary<string, string>? tags = null, string? parentRunId = null) =>
        Wait(StartRunAsync(runName, experimentId, tags, parentRunId));

    /// <summary>Starts a run; see <see cref="StartRun"/>. With <c>await using</c>, call <see cref="ActiveRun.End"/> with FAILED in a catch, or use <see cref="RunAsync"/>.</summary>
    public async Task<ActiveRun> StartRunAsync(string? runName = null, string? experimentId = null, IReadOnlyDictionary<string, string>? tags = null, string? parentRunId = null, CancellationToken cancellationToken = default)
    {
        var allTags = ToTags(tags);
        if (parentRunId is not null)
        {
            await Store.GetRunAsync(parentRunId, cancellationToken).ConfigureAwait(false);
            allTags.Add(new RunTag(MlflowTags.ParentRunId, parentRunId));
        }

        var run = await Store.CreateRunAsync(experimentId ?? DefaultExperimentId, Environment.UserName, NowMs(), runName, allTags, cancellationToken).ConfigureAwait(false);
        return new ActiveRun(this, run.Info);
    }

    /// <summary>Runs <paramref name="body"/> inside a run that ends FINISHED, or FAILED (and rethrows) if the body throws.</summary>
    public async Task<T> RunAsync<T>(string? runName, Func<ActiveRun, Task<T>> body, string? experimentId = null, CancellationToken cancellationToken = default)
    {
        await using var run = await StartRunAsync(runName, experimentId, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return await body(run).ConfigureAwait(false);
        }
        catch
        {
            await run.EndAsync(RunStatus.Failed, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a run in RUNNING status without tying its end to a scope.</summary>
    public Run CreateRun(string? experimentId = null, string? runName = null, IReadOnlyDictionary<string, string>? tags = null, long? startTime = null) =>
        Wait(CreateRunAsync(experimentId, runName, tags, startTime));

    /// <summary>Creates a run in RUNNING status without tying its end to a scope.</summary>
    public Task<Run> CreateRunAsync(string? experimentId = null, string? runName = null, IReadOnlyDictionary<string, string>? tags = null, long? startTime = null, CancellationToken cancellationToken = default) =>
        Store.CreateRunAsync(experimentId ?? DefaultExperimentId, Environment.UserName, startTime ?? NowMs(), runName, ToTags(tags), cancellationToken);

    /// <summary>Gets a run.</summary>
    public Run GetRun(string runId) => Wait(Store.GetRunAsync(runId));

    /// <summary>Gets a run.</summary>
    public Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default) => Store.GetRunAsync(runId, cancellationToken);

    /// <summary>Ends a run with a status (FINISHED by default) and an end time (now by default).</summary>
    public void SetTerminated(string runId, RunStatus status = RunStatus.Finished, long? endTime = null) => Wait(SetTerminatedAsync(runId, status, endTime));

    /// <summary>Ends a run with a status (FINISHED by default) and an end time (now by default).</summary>
    public Task SetTerminatedAsync(string runId, RunStatus status = RunStatus.Finished, long? endTime = null, CancellationToken cancellationToken = default) =>
        Store.UpdateRunInfoAsync(runId, status, endTime ?? NowMs(), null, cancellationToken);

    /// <summary>Deletes a run (restorable).</summary>
    public void DeleteRun(string runId) => Wait(Store.DeleteRunAsync(runId));

    /// <summary>Deletes a run (restorable).</summary>
    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => Store.DeleteRunAsync(runId, cancellationToken);

    /// <summary>Restores a deleted run.</summary>
    public void RestoreRun(string runId) => Wait(Store.RestoreRunAsync(runId));

    /// <summary>Restores a deleted run.</summary>
    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) => Store.RestoreRunAsync(runId, cancellationToken);

    /// <summary>Logs a param; relogging the same value is allowed, a different value is refused (INVALID_PARAMETER_VALUE).</summary>
    public void LogParam(string runId, string key, object? value) => Wait(LogParamAsync(runId, key, value));

    /// <summary>Logs a param; relogging the same value is allowed, a different value is refused.</summary>
    public Task LogParamAsync(string runId, string key, object? value, CancellationToken cancellationToken = default) =>
        Store.LogBatchAsync(runId, null, [new Param(key, FormatParam(value))], null, cancellationToken);

    /// <summary>Logs one value of a metric at a step (0 if null) and timestamp (now if null).</summary>
    public void LogMetric(string runId, string key, double value, long? step = null, long? timestamp = null) =>
        Wait(LogMetricAsync(runId, key, value, step, timestamp));

    /// <summary>Logs one value of a metric at a step (0 if null) and timestamp (now if null).</summary>
    public Task LogMetricAsync(string runId, string key, double value, long? step = null, long? timestamp = null, CancellationToken cancellationToken = default) =>
        Store.LogBatchAsync(runId, [new Metric(key, value, timestamp ?? NowMs(), step ?? 0)], null, null, cancellationToken);

    /// <summary>Sets a tag on a run (overwriting).</summary>
    public void SetTag(string runId, string key, string value) => Wait(SetTagAsync(runId, key, value));

    /// <summary>Sets a tag on a run (overwriting).</summary>
    public Task SetTagAsync(string runId, string key, string value, CancellationToken cancellationToken = default) =>
        Store.LogBatchAsync(runId, null, null, [new RunTag(key, value)], cancellationToken);

    /// <summary>Deletes a tag of a run.</summary>
    public void DeleteTag(string runId, string key) => Wait(Store.DeleteTagAsync(runId, key));

    /// <summary>Deletes a tag of a run.</summary>
    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default) => Store.DeleteTagAsync(runId, key, cancellationToken);

    /// <summary>
    /// Logs metrics, params and tags; any number of each: they are split into requests within MLflow's limits
    /// (params first, so a refused param change stops the batch before its metrics are written).
    /// </summary>
    public void LogBatch(string runId, IReadOnlyList<Metric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null) =>
        Wait(LogBatchAsync(runId, metrics, parameters, tags));

    /// <summary>Logs metrics, params and tags, split into requests within MLflow's limits.</summary>
    public async Task LogBatchAsync(string runId, IReadOnlyList<Metric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default)
    {
        foreach (var (m, p, t) in BatchSplitter.Split(metrics ?? [], parameters ?? [], tags ?? []))
        {
            await Store.LogBatchAsync(runId, m, p, t, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every value a run logged for a metric.</summary>
    public IReadOnlyList<Metric> GetMetricHistory(string runId, string key) => Wait(Store.GetMetricHistoryAsync(runId, key));

    /// <summary>Every value a run logged for a metric.</summary>
    public Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken = default) =>
        Store.GetMetricHistoryAsync(runId, key, cancellationToken);

    /// <summary>
    /// Searches runs with MLflow's filter grammar, e.g. <c>metrics.accuracy &gt; 0.8 AND params.lr = '0.01'</c>,
    /// ordered by keys like <c>metrics.accuracy DESC</c>. One page; pass <see cref="PagedList{T}.NextPageToken"/> back for the next.
    /// </summary>
    public PagedList<Run> SearchRuns(IReadOnlyList<string> experimentIds, string? filter = null, IReadOnlyList<string>? orderBy = null, int maxResults = TrackingLimits.DefaultSearchRunsResults, ViewType viewType = ViewType.ActiveOnly, string? pageToken = null) =>
        Wait(SearchRunsAsync(experimentIds, filter, orderBy, maxResults, viewType, pageToken));

    /// <summary>Searches runs; see <see cref="SearchRuns"/>.</summary>
    public Task<PagedList<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, IReadOnlyList<string>? orderBy = null, int maxResults = TrackingLimits.DefaultSearchRunsResults, ViewType viewType = ViewType.ActiveOnly, string? pageToken = null, CancellationToken cancellationToken = default) =>
        Store.SearchRunsAsync(experimentIds, filter, viewType, maxResults, orderBy, pageToken, cancellationToken);

    /// <summary>Every run matching the search, following page tokens.</summary>
    public async IAsyncEnumerable<Run> SearchAllRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, IReadOnlyList<string>? orderBy = null, ViewType viewType = ViewType.ActiveOnly, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? token = null;
        do
        {
            var page = await Store.SearchRunsAsync(experimentIds, filter, viewType, TrackingLimits.DefaultSearchRunsResults, orderBy, token, cancellationToken).ConfigureAwait(false);
            foreach (var run in page)
            {
                yield return run;
            }

            token = page.NextPageToken;
        }
        while (token is not null);
    }

    // ---- Artifacts ----

    /// <summary>The artifact repository of a run.</summary>
    public ArtifactRepository GetArtifactRepository(string runId) => Artifacts(GetRun(runId).Info.ArtifactUri);

    /// <summary>Uploads a local file into the run's artifacts (under <paramref name="artifactPath"/> if given).</summary>
    public void LogArtifact(string runId, string localFile, string? artifactPath = null) => GetArtifactRepository(runId).LogArtifact(localFile, artifactPath);

    /// <summary>Uploads a local file into the run's artifacts.</summary>
    public async Task LogArtifactAsync(string runId, string localFile, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await Artifacts(run.Info.ArtifactUri).LogArtifactAsync(localFile, artifactPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads a local folder into the run's artifacts.</summary>
    public void LogArtifacts(string runId, string localDirectory, string? artifactPath = null) => GetArtifactRepository(runId).LogArtifacts(localDirectory, artifactPath);

    /// <summary>Uploads a local folder into the run's artifacts.</summary>
    public async Task LogArtifactsAsync(string runId, string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await Artifacts(run.Info.ArtifactUri).LogArtifactsAsync(localDirectory, artifactPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The files and folders directly under a path of the run's artifacts.</summary>
    public IReadOnlyList<ArtifactFileInfo> ListArtifacts(string runId, string? path = null) => GetArtifactRepository(runId).ListArtifacts(path);

    /// <summary>Downloads an artifact file or folder (null: all) to a local folder; returns the local path.</summary>
    public string DownloadArtifacts(string runId, string? artifactPath, string destinationDirectory) =>
        GetArtifactRepository(runId).DownloadArtifacts(artifactPath, destinationDirectory);
}
