namespace Mlops.Tracking;

/// <summary>The status of a run, with MLflow's names.</summary>
public enum RunStatus
{
    /// <summary>The run is in progress.</summary>
    Running = 1,

    /// <summary>The run is scheduled but has not started.</summary>
    Scheduled = 2,

    /// <summary>The run ended successfully.</summary>
    Finished = 3,

    /// <summary>The run ended with an error.</summary>
    Failed = 4,

    /// <summary>The run was stopped by a user or a system.</summary>
    Killed = 5,
}

/// <summary>Whether an experiment or a run is active or (soft-)deleted.</summary>
public enum LifecycleStage
{
    /// <summary>Active.</summary>
    Active,

    /// <summary>Deleted; can be restored.</summary>
    Deleted,
}

/// <summary>Which runs or experiments a search returns, by lifecycle stage.</summary>
public enum ViewType
{
    /// <summary>Active ones only (the default).</summary>
    ActiveOnly = 1,

    /// <summary>Deleted ones only.</summary>
    DeletedOnly = 2,

    /// <summary>Both.</summary>
    All = 3,
}

/// <summary>Converts statuses, stages and view types to and from MLflow's wire names.</summary>
public static class TrackingNames
{
    /// <summary>MLflow's name of a status: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.</summary>
    public static string ToMlflow(this RunStatus status) => status switch
    {
        RunStatus.Running => "RUNNING",
        RunStatus.Scheduled => "SCHEDULED",
        RunStatus.Finished => "FINISHED",
        RunStatus.Failed => "FAILED",
        RunStatus.Killed => "KILLED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown run status."),
    };

    /// <summary>MLflow's name of a lifecycle stage: active or deleted.</summary>
    public static string ToMlflow(this LifecycleStage stage) => stage == LifecycleStage.Active ? "active" : "deleted";

    /// <summary>MLflow's name of a view type: ACTIVE_ONLY, DELETED_ONLY or ALL.</summary>
    public static string ToMlflow(this ViewType viewType) => viewType switch
    {
        ViewType.ActiveOnly => "ACTIVE_ONLY",
        ViewType.DeletedOnly => "DELETED_ONLY",
        ViewType.All => "ALL",
        _ => throw new ArgumentOutOfRangeException(nameof(viewType), viewType, "Unknown view type."),
    };

    /// <summary>Parses MLflow's name of a status (case-insensitive).</summary>
    /// <exception cref="MlflowException">The name is not a status (INVALID_PARAMETER_VALUE).</exception>
    public static RunStatus ParseRunStatus(string name) => name.ToUpperInvariant() switch
    {
        "RUNNING" => RunStatus.Running,
        "SCHEDULED" => RunStatus.Scheduled,
        "FINISHED" => RunStatus.Finished,
        "FAILED" => RunStatus.Failed,
        "KILLED" => RunStatus.Killed,
        _ => throw MlflowException.InvalidParameter($"Invalid run status '{name}'. Valid values are RUNNING, SCHEDULED, FINISHED, FAILED, KILLED."),
    };

    /// <summary>Parses MLflow's name of a lifecycle stage.</summary>
    public static LifecycleStage ParseLifecycleStage(string name) =>
        name == "deleted" ? LifecycleStage.Deleted : LifecycleStage.Active;

    /// <summary>Parses MLflow's name of a view type (case-insensitive).</summary>
    public static ViewType ParseViewType(string name) => name.ToUpperInvariant() switch
    {
        "ACTIVE_ONLY" => ViewType.ActiveOnly,
        "DELETED_ONLY" => ViewType.DeletedOnly,
        "ALL" => ViewType.All,
        _ => throw MlflowException.InvalidParameter($"Invalid view type '{name}'. Valid values are ACTIVE_ONLY, DELETED_ONLY, ALL."),
    };

    /// <summary>True if the status is terminal (the run has ended).</summary>
    public static bool IsTerminated(this RunStatus status) =>
        status is RunStatus.Finished or RunStatus.Failed or RunStatus.Killed;
}
