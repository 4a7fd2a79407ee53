namespace Mlops.Pipelines;

/// <summary>Thrown from a task (or by <see cref="TaskContext.Skip"/>) to end the attempt as skipped (Airflow's <c>AirflowSkipException</c>).</summary>
public sealed class TaskSkipException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the task is skipped; recorded with the attempt.</param>
    public TaskSkipException(string reason)
        : base(reason)
    {
    }
}

/// <summary>Thrown from a task (or by <see cref="TaskContext.Fail"/>) to fail at once, without retry (Airflow's <c>AirflowFailException</c>).</summary>
public sealed class TaskFailException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the task fails; recorded with the attempt.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public TaskFailException(string reason, Exception? innerException = null)
        : base(reason, innerException)
    {
    }
}

/// <summary>Thrown by a sensor whose condition is not met yet: the task becomes up_for_reschedule and is tried again at <see cref="RescheduleAt"/> without using a retry.</summary>
public sealed class TaskRescheduleException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="rescheduleAt">When to try again.</param>
    public TaskRescheduleException(DateTimeOffset rescheduleAt)
        : base($"Rescheduled to {rescheduleAt:O}.")
    {
        RescheduleAt = rescheduleAt;
    }

    /// <summary>When to try again.</summary>
    public DateTimeOffset RescheduleAt { get; }
}
