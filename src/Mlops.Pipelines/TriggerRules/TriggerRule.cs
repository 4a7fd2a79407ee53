namespace Mlops.Pipelines;

/// <summary>
/// When a task runs, given the states of its direct upstream tasks, with Airflow's documented meaning. A task with
/// no upstream task always runs. "Done" means success, failed, skipped or upstream_failed.
/// </summary>
public enum TriggerRule
{
    /// <summary>All upstream tasks succeeded (the default). A failed or upstream_failed upstream makes the task upstream_failed; a skipped one makes it skipped.</summary>
    AllSuccess,

    /// <summary>All upstream tasks failed or are upstream_failed. Any success or skip makes the task skipped.</summary>
    AllFailed,

    /// <summary>All upstream tasks are done, whatever their state.</summary>
    AllDone,

    /// <summary>All upstream tasks are done and at least one succeeded; if all are done with none succeeded the task is skipped.</summary>
    AllDoneMinOneSuccess,

    /// <summary>All upstream tasks were skipped. Any success, failure or upstream failure makes the task skipped.</summary>
    AllSkipped,

    /// <summary>Runs as soon as one upstream task succeeded, without waiting for the others. All done with none succeeded: skipped if all were skipped, else upstream_failed.</summary>
    OneSuccess,

    /// <summary>Runs as soon as one upstream task failed or is upstream_failed. All done without a failure: skipped.</summary>
    OneFailed,

    /// <summary>Runs as soon as one upstream task succeeded or failed. All done with neither (all skipped or upstream_failed): skipped.</summary>
    OneDone,

    /// <summary>No upstream task failed or is upstream_failed (they succeeded or were skipped); waits for all. A failure makes the task upstream_failed.</summary>
    NoneFailed,

    /// <summary>As <see cref="NoneFailed"/>, and at least one upstream task succeeded; if all were skipped the task is skipped.</summary>
    NoneFailedMinOneSuccess,

    /// <summary>No upstream task was skipped (they succeeded, failed or are upstream_failed); waits for all. A skip makes the task skipped.</summary>
    NoneSkipped,

    /// <summary>Runs at any time, without waiting for its upstream tasks (Airflow's "always", formerly "dummy").</summary>
    Always,
}
