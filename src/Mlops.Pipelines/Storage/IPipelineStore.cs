namespace Mlops.Pipelines;

/// <summary>
/// Where DAG runs, task instances, attempts, logs and XCom values are kept. <see cref="SqlitePipelineStore"/> is the
/// durable default; Mlops.Testing has an in-memory store with the same semantics. Implementations are thread-safe and
/// apply each <see cref="PipelineStateChanges"/> atomically.
/// </summary>
/// <remarks>
/// The executor calls the store synchronously (state changes are committed before it acts on them). Query methods have
/// async twins with a <see cref="CancellationToken"/> that each implementation writes itself: a store over a network
/// does real async I/O there; <see cref="SqlitePipelineStore"/>'s complete synchronously, as SQLite (an in-process
/// library) does the work on the caller's thread.
/// </remarks>
public interface IPipelineStore
{
    /// <summary>Creates a run and its task instances atomically, unless the DAG already has a run with the same run id or logical date.</summary>
    /// <param name="run">The run.</param>
    /// <param name="taskInstances">Its task instances.</param>
    /// <returns>True when created; false when a run with the same run id or logical date exists.</returns>
    bool TryCreateDagRun(DagRunRecord run, IReadOnlyList<TaskInstanceRecord> taskInstances);

    /// <summary>
    /// Takes a run for an executor: succeeds when the run has no owner, is already held by <paramref name="owner"/>,
    /// or is held by an owner that <paramref name="isOwnerAlive"/> says is gone (a crashed process).
    /// </summary>
    /// <param name="dagId">The DAG's id.</param>
    /// <param name="runId">The run's id.</param>
    /// <param name="owner">The executor taking the run.</param>
    /// <param name="isOwnerAlive">Whether a recorded owner still runs.</param>
    /// <returns>The run now held by <paramref name="owner"/>; null when a live owner holds it.</returns>
    /// <exception cref="DagRunNotFoundException">No such run.</exception>
    DagRunRecord? TryClaimDagRun(string dagId, string runId, string owner, Func<string, bool> isOwnerAlive);

    /// <summary>Clears a run's owner if <paramref name="owner"/> holds it.</summary>
    void ReleaseDagRun(string dagId, string runId, string owner);

    /// <summary>Writes a batch of state changes in one transaction; when it returns, the changes are durable.</summary>
    void Apply(PipelineStateChanges changes);

    /// <summary>The run, or null.</summary>
    DagRunRecord? GetDagRun(string dagId, string runId);

    /// <summary>Runs matching the query, newest logical date first.</summary>
    IReadOnlyList<DagRunRecord> GetDagRuns(DagRunQuery query);

    /// <summary>The run's task instances, by task id.</summary>
    IReadOnlyList<TaskInstanceRecord> GetTaskInstances(string dagId, string runId);

    /// <summary>The attempts of a run's tasks (of one task when <paramref name="taskId"/> is given), by task and try.</summary>
    IReadOnlyList<TaskAttemptRecord> GetTaskAttempts(string dagId, string runId, string? taskId = null);

    /// <summary>The log of one attempt, in order.</summary>
    IReadOnlyList<TaskLogEntry> GetTaskLog(string dagId, string runId, string taskId, int tryNumber);

    /// <summary>The XCom values of a run.</summary>
    IReadOnlyList<XcomRecord> GetXcoms(string dagId, string runId);

    /// <summary>The instance of a task in the DAG's latest run whose logical date is before <paramref name="logicalDate"/> (for depends-on-past), with that run; null when there is no earlier run.</summary>
    (DagRunRecord Run, TaskInstanceRecord? TaskInstance)? GetPreviousTaskInstance(string dagId, string taskId, DateTimeOffset logicalDate);

    /// <inheritdoc cref="GetDagRun"/>
    Task<DagRunRecord?> GetDagRunAsync(string dagId, string runId, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="GetDagRuns"/>
    Task<IReadOnlyList<DagRunRecord>> GetDagRunsAsync(DagRunQuery query, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="GetTaskInstances"/>
    Task<IReadOnlyList<TaskInstanceRecord>> GetTaskInstancesAsync(string dagId, string runId, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="GetTaskAttempts"/>
    Task<IReadOnlyList<TaskAttemptRecord>> GetTaskAttemptsAsync(string dagId, string runId, string? taskId = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="GetTaskLog"/>
    Task<IReadOnlyList<TaskLogEntry>> GetTaskLogAsync(string dagId, string runId, string taskId, int tryNumber, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="GetXcoms"/>
    Task<IReadOnlyList<XcomRecord>> GetXcomsAsync(string dagId, string runId, CancellationToken cancellationToken = default);
}
