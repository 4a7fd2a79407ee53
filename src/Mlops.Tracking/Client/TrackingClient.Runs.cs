using Mlops.Tracking.Artifacts;
using Mlops.Tracking.Search;

namespace Mlops.Tracking;

public partial class TrackingClient
{
    /// <summary>
    /// Starts a run and returns it as an <see cref="ActiveRun"/>: <c>using var run = tracking.StartRun("name");</c>
    /// ends it FINISHED when disposed, unless <see cref="ActiveRun.Fail"/> or <see cref="ActiveRun.End"/> ended it first
    /// (a dispose cannot see an exception; <see cref="Run{T}"/> ends the run FAILED when its body throws).
    /// Blocks on <see cref="StartRunAsync"/>.
    /// </summary>
    /// <param name="runName">The run's name; a generated one if null.</param>
    /// <param name="experimentId">The experiment; the Default experiment ("0") if null.</param>
    /// <param name="tags">Tags to set at start.</param>
    /// <param name="parentRunId">Makes this a nested run of that run (tag <c>mlflow.parentRunId</c>).</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    public virtual ActiveRun StartRun(string? runName = null, string? experimentId = null, IReadOnlyDictionary<string, string>? tags = null, string? parentRunId = null, CancellationToken cancellationToken = default) =>
        Wait(StartRunAsync(runName, experimentId, tags, parentRunId, cancellationToken));

    /// <summary>Starts a run; see <see cref="StartRun"/>. With <c>await using</c>, call <see cref="ActiveRun.FailAsync"/> in a catch, or use <see cref="RunAsync"/>.</summary>
    public virtual async Task<ActiveRun> StartRunAsync(string? runName = null, string? experimentId = null, IReadOnlyDictionary<string, string>? tags = null, string? parentRunId = null, CancellationToken cancellationToken = default)
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

    /// <summary>Runs <paramref name="body"/> inside a run that ends FINISHED, or FAILED (and rethrows) if the body throws; the sync twin of <see cref="RunAsync"/>.</summary>
    /// <typeparam name="T">What the body returns.</typeparam>
    /// <param name="runName">The run's name; a generated one if null.</param>
    /// <param name="body">The work, given the run.</param>
    /// <param name="experimentId">The experiment; the Default experiment if null.</param>
    /// <param name="cancellationToken">Cancels the store calls that start and end the run.</param>
    /// <returns>What the body returned.</returns>
    public virtual T Run<T>(string? runName, Func<ActiveRun, T> body, string? experimentId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var run = StartRun(runName, experimentId, cancellationToken: cancellationToken);
        try
        {
            return body(run);
        }
        catch
        {
            run.Fail(CancellationToken.None);
            throw;
        }
    }

    /// <summary>Runs <paramref name="body"/> inside a run that ends FINISHED, or FAILED (and rethrows) if the body throws.</summary>
    public virtual async Task<T> RunAsync<T>(string? runName, Func<ActiveRun, Task<T>> body, string? experimentId = null, CancellationToken cancellationToken = default)
    {
        await using var run = await StartRunAsync(runName, experimentId, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return await body(run).ConfigureAwait(false);
        }
        catch
        {
            await run.FailAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a run in RUNNING status without tying its end to a scope.</summary>
    public virtual Run CreateRun(string? experimentId = null, string? runName = null, IReadOnlyDictionary<string, string>? tags = null, long? startTime = null, CancellationToken cancellationToken = default) =>
        Wait(CreateRunAsync(experimentId, runName, tags, startTime, cancellationToken));

    /// <summary>Creates a run in RUNNING status without tying its end to a scope.</summary>
    public virtual Task<Run> CreateRunAsync(string? experimentId = null, string? runName = null, IReadOnlyDictionary<string, string>? tags = null, long? startTime = null, CancellationToken cancellationToken = default) =>
        Store.CreateRunAsync(experimentId ?? DefaultExperimentId, Environment.UserName, startTime ?? NowMs(), runName, ToTags(tags), cancellationToken);

    /// <summary>Gets a run.</summary>
    public virtual Run GetRun(string runId, CancellationToken cancellationToken = default) => Wait(Store.GetRunAsync(runId, cancellationToken));

    /// <summary>Gets a run.</summary>
    public virtual Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default) => Store.GetRunAsync(runId, cancellationToken);

    /// <summary>Ends a run with a status (FINISHED by default) and an end time (now by default).</summary>
    public virtual void SetTerminated(string runId, RunStatus status = RunStatus.Finished, long? endTime = null, CancellationToken cancellationToken = default) => Wait(SetTerminatedAsync(runId, status, endTime, cancellationToken));

    /// <summary>Ends a run with a status (FINISHED by default) and an end time (now by default).</summary>
    public virtual Task SetTerminatedAsync(string runId, RunStatus status = RunStatus.Finished, long? endTime = null, CancellationToken cancellationToken = default) =>
        Store.UpdateRunInfoAsync(runId, status, endTime ?? NowMs(), null, cancellationToken);

    /// <summary>Deletes a run (restorable).</summary>
    public virtual void DeleteRun(string runId, CancellationToken cancellationToken = default) => Wait(Store.DeleteRunAsync(runId, cancellationToken));

    /// <summary>Deletes a run (restorable).</summary>
    public virtual Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => Store.DeleteRunAsync(runId, cancellationToken);

    /// <summary>Restores a deleted run.</summary>
    public virtual void RestoreRun(string runId, CancellationToken cancellationToken = default) => Wait(Store.RestoreRunAsync(runId, cancellationToken));

    /// <summary>Restores a deleted run.</summary>
    public virtual Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) => Store.RestoreRunAsync(runId, cancellationToken);

    /// <summary>Logs a param; relogging the same value is allowed, a different value is refused (INVALID_PARAMETER_VALUE).</summary>
    public virtual void LogParam(string runId, string key, object? value, CancellationToken cancellationToken = default) => Wait(LogParamAsync(runId, key, value, cancellationToken));

    /// <summary>Logs a param; relogging the same value is allowed, a different value is refused.</summary>
    public virtual Task LogParamAsync(string runId, string key, object? value, CancellationToken cancellationToken = default) =>
        Store.LogBatchAsync(runId, null, [new Param(key, FormatParam(value))], null, cancellationToken);

    /// <summary>Logs one value of a metric at a step (0 if null) and timestamp (now if null).</summary>
    public virtual void LogMetric(string runId, string key, double value, long? step = null, long? timestamp = null, CancellationToken cancellationToken = default) =>
        Wait(LogMetricAsync(runId, key, value, step, timestamp, cancellationToken));

    /// <summary>Logs one value of a metric at a step (0 if null) and timestamp (now if null).</summary>
    public virtual Task LogMetricAsync(string runId, string key, double value, long? step = null, long? timestamp = null, CancellationToken cancellationToken = default) =>
        Store.LogBatchAsync(runId, [new RunMetric(key, value, timestamp ?? NowMs(), step ?? 0)], null, null, cancellationToken);

    /// <summary>Sets a tag on a run (overwriting).</summary>
    public virtual void SetTag(string runId, string key, string value, CancellationToken cancellationToken = default) => Wait(SetTagAsync(runId, key, value, cancellationToken));

    /// <summary>Sets a tag on a run (overwriting).</summary>
    public virtual Task SetTagAsync(string runId, string key, string value, CancellationToken cancellationToken = default) =>
        Store.LogBatchAsync(runId, null, null, [new RunTag(key, value)], cancellationToken);

    /// <summary>Deletes a tag of a run.</summary>
    public virtual void DeleteTag(string runId, string key, CancellationToken cancellationToken = default) => Wait(Store.DeleteTagAsync(runId, key, cancellationToken));

    /// <summary>Deletes a tag of a run.</summary>
    public virtual Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default) => Store.DeleteTagAsync(runId, key, cancellationToken);

    /// <summary>
    /// Logs metrics, params and tags; any number of each: they are split into requests within MLflow's limits
    /// (params first, so a refused param change stops the batch before its metrics are written).
    /// </summary>
    public virtual void LogBatch(string runId, IReadOnlyList<RunMetric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default) =>
        Wait(LogBatchAsync(runId, metrics, parameters, tags, cancellationToken));

    /// <summary>Logs metrics, params and tags, split into requests within MLflow's limits.</summary>
    public virtual async Task LogBatchAsync(string runId, IReadOnlyList<RunMetric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default)
    {
        foreach (var (m, p, t) in BatchSplitter.Split(metrics ?? [], parameters ?? [], tags ?? []))
        {
            await Store.LogBatchAsync(runId, m, p, t, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every value a run logged for a metric.</summary>
    public virtual IReadOnlyList<RunMetric> GetMetricHistory(string runId, string key, CancellationToken cancellationToken = default) => Wait(Store.GetMetricHistoryAsync(runId, key, cancellationToken));

    /// <summary>Every value a run logged for a metric.</summary>
    public virtual Task<IReadOnlyList<RunMetric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken = default) =>
        Store.GetMetricHistoryAsync(runId, key, cancellationToken);

    /// <summary>
    /// Searches runs with MLflow's filter grammar, e.g. <c>metrics.accuracy &gt; 0.8 AND params.lr = '0.01'</c>,
    /// ordered by keys like <c>metrics.accuracy DESC</c>. One page; pass <see cref="PagedList{T}.NextPageToken"/> back for the next.
    /// The parameters come in the order of <see cref="Stores.ITrackingStore.SearchRunsAsync"/> (MLflow's <c>search_runs</c>).
    /// </summary>
    public virtual PagedList<Run> SearchRuns(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, int maxResults = TrackingLimits.DefaultSearchRunsResults, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        Wait(SearchRunsAsync(experimentIds, filter, viewType, maxResults, orderBy, pageToken, cancellationToken));

    /// <summary>Searches runs; see <see cref="SearchRuns"/>.</summary>
    public virtual Task<PagedList<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, int maxResults = TrackingLimits.DefaultSearchRunsResults, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        Store.SearchRunsAsync(experimentIds, filter, viewType, maxResults, orderBy, pageToken, cancellationToken);

    /// <summary>Every run matching the search, following page tokens.</summary>
    public virtual async IAsyncEnumerable<Run> SearchAllRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, IReadOnlyList<string>? orderBy = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
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
    public virtual ArtifactRepository GetArtifactRepository(string runId, CancellationToken cancellationToken = default) => Artifacts(GetRun(runId, cancellationToken).Info.ArtifactUri);

    /// <summary>Uploads a local file into the run's artifacts (under <paramref name="artifactPath"/> if given).</summary>
    public virtual void LogArtifact(string runId, string localFile, string? artifactPath = null, CancellationToken cancellationToken = default) => GetArtifactRepository(runId, cancellationToken).LogArtifact(localFile, artifactPath, cancellationToken);

    /// <summary>Uploads a local file into the run's artifacts.</summary>
    public virtual async Task LogArtifactAsync(string runId, string localFile, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await Artifacts(run.Info.ArtifactUri).LogArtifactAsync(localFile, artifactPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads a local folder into the run's artifacts.</summary>
    public virtual void LogArtifacts(string runId, string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default) => GetArtifactRepository(runId, cancellationToken).LogArtifacts(localDirectory, artifactPath, cancellationToken);

    /// <summary>Uploads a local folder into the run's artifacts.</summary>
    public virtual async Task LogArtifactsAsync(string runId, string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await Artifacts(run.Info.ArtifactUri).LogArtifactsAsync(localDirectory, artifactPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The files and folders directly under a path of the run's artifacts.</summary>
    public virtual IReadOnlyList<ArtifactFileInfo> ListArtifacts(string runId, string? path = null, CancellationToken cancellationToken = default) => GetArtifactRepository(runId, cancellationToken).ListArtifacts(path, cancellationToken);

    /// <summary>Downloads an artifact file or folder (null: all) to a local folder; returns the local path.</summary>
    public virtual string DownloadArtifacts(string runId, string? artifactPath, string destinationDirectory, CancellationToken cancellationToken = default) =>
        GetArtifactRepository(runId, cancellationToken).DownloadArtifacts(artifactPath, destinationDirectory, cancellationToken);
}
