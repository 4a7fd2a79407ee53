namespace Mlops.Pipelines;

/// <summary>A task instance's state changed and the change is persisted.</summary>
public sealed class TaskStateChangedEventArgs : EventArgs
{
    internal TaskStateChangedEventArgs(TaskInstanceRecord taskInstance)
    {
        TaskInstance = taskInstance;
    }

    /// <summary>The task instance as persisted.</summary>
    public TaskInstanceRecord TaskInstance { get; }
}

/// <summary>A DAG run's state changed and the change is persisted.</summary>
public sealed class DagRunStateChangedEventArgs : EventArgs
{
    internal DagRunStateChangedEventArgs(DagRunRecord run)
    {
        Run = run;
    }

    /// <summary>The run as persisted.</summary>
    public DagRunRecord Run { get; }
}
