namespace Mlops.Tracking;

/// <summary>A parameter of a run: logged once; relogging the same value is allowed, a different one is refused.</summary>
public readonly record struct Param(string Key, string Value);

/// <summary>A tag of a run or experiment: a key/value that may be overwritten.</summary>
public readonly record struct RunTag(string Key, string Value);

/// <summary>
/// One value of a metric (MLflow's <c>Metric</c> entity, with the same JSON fields <c>key</c>, <c>value</c>,
/// <c>timestamp</c>, <c>step</c>): a run keeps every value it logged (the history); search uses the latest. Named for
/// the run it belongs to, beside <see cref="RunTag"/>, so a file using Mlops.Training's <c>Metric</c> needs no alias.
/// </summary>
/// <param name="Key">The metric's name.</param>
/// <param name="Value">The value (NaN and infinities are allowed).</param>
/// <param name="Timestamp">Milliseconds since the Unix epoch.</param>
/// <param name="Step">The training step (0 if not given).</param>
public readonly record struct RunMetric(string Key, double Value, long Timestamp, long Step);

/// <summary>The metadata of a run.</summary>
/// <param name="RunId">The run's id (32 lowercase hex characters, as MLflow makes them).</param>
/// <param name="ExperimentId">The experiment it belongs to.</param>
/// <param name="RunName">Its display name (also in the <c>mlflow.runName</c> tag).</param>
/// <param name="UserId">Who started it.</param>
/// <param name="Status">Its status.</param>
/// <param name="StartTime">Milliseconds since the Unix epoch.</param>
/// <param name="EndTime">Milliseconds since the Unix epoch, null while it runs.</param>
/// <param name="ArtifactUri">The root of its artifacts.</param>
/// <param name="LifecycleStage">Active or deleted.</param>
public sealed record RunInfo(
    string RunId,
    string ExperimentId,
    string RunName,
    string UserId,
    RunStatus Status,
    long StartTime,
    long? EndTime,
    string ArtifactUri,
    LifecycleStage LifecycleStage);

/// <summary>The data of a run: latest metric values, params and tags.</summary>
/// <param name="Metrics">The latest value of each metric (highest step, then latest timestamp, then largest value).</param>
/// <param name="Params">The params.</param>
/// <param name="Tags">The tags.</param>
public sealed record RunData(
    IReadOnlyList<RunMetric> Metrics,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>The latest value of a metric, or null if the run has not logged it.</summary>
    public double? GetMetric(string key)
    {
        foreach (var metric in Metrics)
        {
            if (metric.Key == key)
            {
                return metric.Value;
            }
        }

        return null;
    }
}

/// <summary>A run: its metadata and its data.</summary>
/// <param name="Info">The metadata.</param>
/// <param name="Data">The latest metrics, params and tags.</param>
public sealed record Run(RunInfo Info, RunData Data);

/// <summary>One page of results and the token of the next page (null on the last page).</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items of this page.</param>
/// <param name="NextPageToken">Pass it back to get the next page; null if there is none.</param>
public sealed record PagedList<T>(IReadOnlyList<T> Items, string? NextPageToken) : IReadOnlyList<T>
{
    /// <inheritdoc/>
    public T this[int index] => Items[index];

    /// <inheritdoc/>
    public int Count => Items.Count;

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => Items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>MLflow's reserved tag names that the SDK reads and writes.</summary>
public static class MlflowTags
{
    /// <summary>The run's name.</summary>
    public const string RunName = "mlflow.runName";

    /// <summary>The parent of a nested run.</summary>
    public const string ParentRunId = "mlflow.parentRunId";

    /// <summary>The user who started the run.</summary>
    public const string User = "mlflow.user";

    /// <summary>The source (program) of the run.</summary>
    public const string SourceName = "mlflow.source.name";

    /// <summary>The models logged by the run (JSON list), which MLflow's UI reads.</summary>
    public const string LoggedModels = "mlflow.log-model.history";
}
