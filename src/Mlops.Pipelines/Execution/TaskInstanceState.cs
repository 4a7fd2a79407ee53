namespace Mlops.Pipelines;

/// <summary>The state of one task in one DAG run, with Airflow's names and meaning.</summary>
public enum TaskInstanceState
{
    /// <summary>Not yet considered: waiting for its upstream tasks (Airflow's "none").</summary>
    None,

    /// <summary>Its dependencies are met; it is about to be queued.</summary>
    Scheduled,

    /// <summary>Waiting for a free slot in its pool or in the executor.</summary>
    Queued,

    /// <summary>An attempt is running.</summary>
    Running,

    /// <summary>Finished successfully.</summary>
    Success,

    /// <summary>Failed with no retry left (or failed on purpose, without retry).</summary>
    Failed,

    /// <summary>Skipped: by the task itself, or because its trigger rule called for it.</summary>
    Skipped,

    /// <summary>Not run because an upstream task failed.</summary>
    UpstreamFailed,

    /// <summary>An attempt failed and another will start after the retry delay.</summary>
    UpForRetry,

    /// <summary>A sensor whose condition was not met; it pokes again after its poke interval without holding a slot.</summary>
    UpForReschedule,

    /// <summary>The task no longer exists in the DAG's definition.</summary>
    Removed,
}

/// <summary>Helpers over <see cref="TaskInstanceState"/>.</summary>
public static class TaskInstanceStates
{
    /// <summary>Whether the state is final for the run: success, failed, skipped, upstream_failed or removed.</summary>
    public static bool IsFinished(this TaskInstanceState state) =>
        state is TaskInstanceState.Success or TaskInstanceState.Failed or TaskInstanceState.Skipped
            or TaskInstanceState.UpstreamFailed or TaskInstanceState.Removed;

    /// <summary>The name Airflow uses: <c>up_for_retry</c>, <c>upstream_failed</c>, ...</summary>
    public static string ToAirflowName(this TaskInstanceState state) => state switch
    {
        TaskInstanceState.None => "none",
        TaskInstanceState.Scheduled => "scheduled",
        TaskInstanceState.Queued => "queued",
        TaskInstanceState.Running => "running",
        TaskInstanceState.Success => "success",
        TaskInstanceState.Failed => "failed",
        TaskInstanceState.Skipped => "skipped",
        TaskInstanceState.UpstreamFailed => "upstream_failed",
        TaskInstanceState.UpForRetry => "up_for_retry",
        TaskInstanceState.UpForReschedule => "up_for_reschedule",
        TaskInstanceState.Removed => "removed",
        _ => state.ToString(),
    };
}

/// <summary>The state of a DAG run.</summary>
public enum DagRunState
{
    /// <summary>Created, waiting to start (for instance because of the DAG's max active runs).</summary>
    Queued,

    /// <summary>Being executed.</summary>
    Running,

    /// <summary>Finished, every leaf task succeeded or was skipped.</summary>
    Success,

    /// <summary>Finished with a failed or upstream_failed leaf task, a deadlock, or a run timeout.</summary>
    Failed,
}

/// <summary>Why a DAG run exists.</summary>
public enum DagRunType
{
    /// <summary>Created by the scheduler for a due data interval.</summary>
    Scheduled,

    /// <summary>Triggered by a person or a program.</summary>
    Manual,

    /// <summary>Created by a backfill of a date range.</summary>
    Backfill,
}
