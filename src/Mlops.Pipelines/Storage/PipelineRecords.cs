using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

/// <summary>A DAG run as stored.</summary>
public sealed record DagRunRecord
{
    /// <summary>The DAG's id.</summary>
    public required string DagId { get; init; }

    /// <summary>The run's id, unique per DAG (<c>scheduled__2023-01-01T00:00:00+00:00</c>, <c>manual__...</c>, <c>backfill__...</c>).</summary>
    public required string RunId { get; init; }

    /// <summary>Why the run exists.</summary>
    public DagRunType RunType { get; init; }

    /// <summary>The logical date, unique per DAG.</summary>
    public DateTimeOffset LogicalDate { get; init; }

    /// <summary>The start of the data interval.</summary>
    public DateTimeOffset DataIntervalStart { get; init; }

    /// <summary>The end of the data interval.</summary>
    public DateTimeOffset DataIntervalEnd { get; init; }

    /// <summary>The run's state.</summary>
    public DagRunState State { get; init; }

    /// <summary>When the run was created.</summary>
    public DateTimeOffset QueuedAt { get; init; }

    /// <summary>When the run started, if it did.</summary>
    public DateTimeOffset? StartDate { get; init; }

    /// <summary>When the run ended, if it did.</summary>
    public DateTimeOffset? EndDate { get; init; }

    /// <summary>The run's configuration (params overriding the DAG's) as a JSON object, if any.</summary>
    public string? Conf { get; init; }

    /// <summary>Why the run ended as it did when that is not obvious from its tasks (deadlock, timeout), or a note.</summary>
    public string? Note { get; init; }

    /// <summary>The executor process that holds the run while it executes (host and process id), if any.</summary>
    public string? Owner { get; init; }

    /// <summary>How long the run took, once it has ended.</summary>
    public TimeSpan? Duration => StartDate is { } s && EndDate is { } e ? e - s : null;
}

/// <summary>One task in one DAG run, as stored.</summary>
public sealed record TaskInstanceRecord
{
    /// <summary>The DAG's id.</summary>
    public required string DagId { get; init; }

    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The task's id.</summary>
    public required string TaskId { get; init; }

    /// <summary>The state.</summary>
    public TaskInstanceState State { get; init; }

    /// <summary>The number of the latest attempt (0 before the first).</summary>
    public int TryNumber { get; init; }

    /// <summary>The number of attempts allowed.</summary>
    public int MaxTries { get; init; }

    /// <summary>When the latest attempt started.</summary>
    public DateTimeOffset? StartDate { get; init; }

    /// <summary>When the task reached its current final or waiting state.</summary>
    public DateTimeOffset? EndDate { get; init; }

    /// <summary>When the next attempt (retry) or poke (reschedule) is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>When the latest attempt first started, before any sensor reschedule.</summary>
    public DateTimeOffset? FirstStartDate { get; init; }

    /// <summary>How many times the latest attempt was rescheduled (sensor pokes minus one).</summary>
    public int Reschedules { get; init; }

    /// <summary>The pool the task uses.</summary>
    public string Pool { get; init; } = TaskArguments.DefaultPool;

    /// <summary>The latest error or reason (failure message, skip reason), if any.</summary>
    public string? Error { get; init; }

    /// <summary>How long the latest attempt ran, once it ended.</summary>
    public TimeSpan? Duration => StartDate is { } s && EndDate is { } e && e >= s ? e - s : null;
}

/// <summary>One attempt (try) of a task instance.</summary>
public sealed record TaskAttemptRecord
{
    /// <summary>The DAG's id.</summary>
    public required string DagId { get; init; }

    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The task's id.</summary>
    public required string TaskId { get; init; }

    /// <summary>The attempt's number, from 1.</summary>
    public int TryNumber { get; init; }

    /// <summary>Running while it runs; then success, failed, skipped, up_for_retry or up_for_reschedule.</summary>
    public TaskInstanceState State { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartDate { get; init; }

    /// <summary>When it ended, if it did.</summary>
    public DateTimeOffset? EndDate { get; init; }

    /// <summary>The error or reason, if any.</summary>
    public string? Error { get; init; }

    /// <summary>How long it ran, once it ended.</summary>
    public TimeSpan? Duration => EndDate is { } e ? e - StartDate : null;
}

/// <summary>A line a task attempt logged.</summary>
public sealed record TaskLogEntry
{
    /// <summary>The DAG's id.</summary>
    public required string DagId { get; init; }

    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The task's id.</summary>
    public required string TaskId { get; init; }

    /// <summary>The attempt's number.</summary>
    public int TryNumber { get; init; }

    /// <summary>The line's position in the attempt's log, from 0.</summary>
    public int Sequence { get; init; }

    /// <summary>When it was logged.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Its level.</summary>
    public LogLevel Level { get; init; }

    /// <summary>The formatted message (with the exception, if one was logged).</summary>
    public required string Message { get; init; }
}

/// <summary>A value pushed by a task for others (Airflow's XCom), as JSON.</summary>
/// <param name="DagId">The DAG's id.</param>
/// <param name="RunId">The run's id.</param>
/// <param name="TaskId">The task that pushed it.</param>
/// <param name="Key">Its key (<see cref="XcomKeys.ReturnValue"/> for return values).</param>
/// <param name="Json">The value as JSON.</param>
public sealed record XcomRecord(string DagId, string RunId, string TaskId, string Key, string Json);

/// <summary>Which runs <see cref="IPipelineStore.GetDagRuns"/> returns, newest logical date first.</summary>
public sealed record DagRunQuery
{
    /// <summary>Only runs of this DAG; all DAGs when null.</summary>
    public string? DagId { get; init; }

    /// <summary>Only runs in one of these states; all states when null or empty.</summary>
    public IReadOnlyCollection<DagRunState>? States { get; init; }

    /// <summary>Only runs of this type; all types when null.</summary>
    public DagRunType? RunType { get; init; }

    /// <summary>Only runs with a logical date at or after this.</summary>
    public DateTimeOffset? LogicalDateFrom { get; init; }

    /// <summary>Only runs with a logical date at or before this.</summary>
    public DateTimeOffset? LogicalDateTo { get; init; }

    /// <summary>At most this many runs; 100 by default.</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>
/// State changes written in one transaction: the executor persists each batch before acting on it (starting an
/// attempt, scheduling a retry, ending a run), so an acknowledged change survives a crash.
/// </summary>
public sealed class PipelineStateChanges
{
    /// <summary>Runs whose state, dates or note changed (matched by DAG id and run id).</summary>
    public List<DagRunRecord> Runs { get; } = [];

    /// <summary>Task instances to insert or replace.</summary>
    public List<TaskInstanceRecord> TaskInstances { get; } = [];

    /// <summary>Attempts to insert or replace.</summary>
    public List<TaskAttemptRecord> Attempts { get; } = [];

    /// <summary>Log lines to append.</summary>
    public List<TaskLogEntry> Logs { get; } = [];

    /// <summary>XCom values to insert or replace.</summary>
    public List<XcomRecord> Xcoms { get; } = [];

    /// <summary>Whether there is nothing to write.</summary>
    public bool IsEmpty => Runs.Count == 0 && TaskInstances.Count == 0 && Attempts.Count == 0 && Logs.Count == 0 && Xcoms.Count == 0;

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        Runs.Clear();
        TaskInstances.Clear();
        Attempts.Clear();
        Logs.Clear();
        Xcoms.Clear();
    }
}
