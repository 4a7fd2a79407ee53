namespace Mlops.Tracking;

/// <summary>An experiment: a named group of runs sharing an artifact location.</summary>
/// <param name="ExperimentId">The experiment's id (MLflow uses decimal strings; "0" is the Default experiment).</param>
/// <param name="Name">The unique name.</param>
/// <param name="ArtifactLocation">The root under which its runs' artifacts are stored.</param>
/// <param name="LifecycleStage">Active or deleted.</param>
/// <param name="CreationTime">Milliseconds since the Unix epoch.</param>
/// <param name="LastUpdateTime">Milliseconds since the Unix epoch.</param>
/// <param name="Tags">The experiment's tags.</param>
public sealed record Experiment(
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    LifecycleStage LifecycleStage,
    long CreationTime,
    long LastUpdateTime,
    IReadOnlyDictionary<string, string> Tags);
