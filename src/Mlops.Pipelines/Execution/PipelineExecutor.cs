using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mlops.Pipelines;

/// <summary>
/// Runs DAG runs in-process: ready tasks start in parallel up to <see cref="ExecutorOptions.MaxParallelism"/> and
/// their pools' slots, delegates on the thread pool (on their own thread when they have an execution timeout) and
/// <see cref="ProcessOperator"/> tasks as child processes. Every state change is written to the
/// <see cref="IPipelineStore"/> before it is acted on, so a run whose process died is resumed by <see cref="ExecuteAsync"/> or <see cref="ResumeAsync"/>: finished tasks are not run again and a task
/// that was running is retried per its policy. Thread-safe; one instance serves many runs at once.
/// </summary>
public class PipelineExecutor : IDisposable
{
    private readonly Lock _pastLock = new();
    private readonly Lock _drivingLock = new();
    private readonly Dictionary<(string DagId, string RunId), Task<DagRunRecord>> _driving = [];
    private readonly Dictionary<(string DagId, string TaskId), List<(DagRunEngine Engine, int Index)>> _pastWaiters = [];
    private readonly string _identity;
    private volatile int _pastWaiterCount;
    private bool _disposed;

    /// <summary>Creates an executor.</summary>
    /// <param name="store">Where state is persisted (<see cref="SqlitePipelineStore"/> for durability).</param>
    /// <param name="options">Parallelism, pools and limits; defaults when null. Validated here.</param>
    /// <param name="timeProvider">The clock for retries, timeouts and sensors; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Logging for the executor and task attempts; none when null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public PipelineExecutor(IPipelineStore store, ExecutorOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        Options = options ?? new ExecutorOptions();
        Options.Validate();
        Time = timeProvider ?? TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        Logger = loggerFactory.CreateLogger<PipelineExecutor>();
        TaskLogger = loggerFactory.CreateLogger("Mlops.Pipelines.Tasks");
        Slots = new PoolSlots(Options);
        _identity = ExecutorIdentity.Register();
    }

    /// <summary>For mocking.</summary>
    protected PipelineExecutor()
    {
        Store = null!;
        Options = new ExecutorOptions();
        Time = TimeProvider.System;
        Logger = NullLogger.Instance;
        TaskLogger = NullLogger.Instance;
        Slots = new PoolSlots(Options);
        _identity = string.Empty;
    }

    /// <summary>Raised after a task instance's new state is persisted (on the run's engine thread: keep handlers short).</summary>
    public event EventHandler<TaskStateChangedEventArgs>? TaskStateChanged;

    /// <summary>Raised after a run's new state is persisted.</summary>
    public event EventHandler<DagRunStateChangedEventArgs>? DagRunStateChanged;

    /// <summary>Where state is persisted.</summary>
    public virtual IPipelineStore Store { get; }

    /// <summary>The executor's options.</summary>
    public virtual ExecutorOptions Options { get; }

    /// <summary>The clock.</summary>
    public virtual TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal ILogger TaskLogger { get; }

    internal PoolSlots Slots { get; }

    /// <summary>Creates a run of <paramref name="dag"/> in the queued state, with its task instances.</summary>
    /// <param name="dag">The DAG.</param>
    /// <param name="runType">Why the run exists.</param>
    /// <param name="logicalDate">The logical date, unique per DAG.</param>
    /// <param name="dataInterval">The data interval; (logical date, logical date) when null, as Airflow does for manual runs.</param>
    /// <param name="conf">Params overriding the DAG's defaults (JSON-serializable values).</param>
    /// <param name="runId">The run id; <see cref="DagRunIds.For"/> when null.</param>
    /// <returns>The created run.</returns>
    /// <exception cref="DagRunAlreadyExistsException">The DAG has a run with that id or logical date.</exception>
    public virtual DagRunRecord CreateDagRun(
        Dag dag, DagRunType runType, DateTimeOffset logicalDate, DataInterval? dataInterval = null,
        IReadOnlyDictionary<string, object?>? conf = null, string? runId = null) =>
        TryCreateDagRun(dag, runType, logicalDate, dataInterval, conf, runId)
        ?? throw new DagRunAlreadyExistsException(
            $"DAG '{dag.DagId}' already has a run with id '{runId ?? DagRunIds.For(runType, logicalDate)}' or logical date {logicalDate:O}.",
            dag.DagId, runId ?? DagRunIds.For(runType, logicalDate));

    /// <summary>Creates a run as <see cref="CreateDagRun"/> does, or returns null when the DAG already has a run with that id or logical date.</summary>
    /// <inheritdoc cref="CreateDagRun"/>
    public virtual DagRunRecord? TryCreateDagRun(
        Dag dag, DagRunType runType, DateTimeOffset logicalDate, DataInterval? dataInterval = null,
        IReadOnlyDictionary<string, object?>? conf = null, string? runId = null)
    {
        ArgumentNullException.ThrowIfNull(dag);
        logicalDate = logicalDate.ToUniversalTime();
        var interval = dataInterval ?? new DataInterval(logicalDate, logicalDate);
        var run = new DagRunRecord
        {
            DagId = dag.DagId,
            RunId = runId ?? DagRunIds.For(runType, logicalDate),
            RunType = runType,
            LogicalDate = logicalDate,
            DataIntervalStart = interval.Start.ToUniversalTime(),
            DataIntervalEnd = interval.End.ToUniversalTime(),
            State = DagRunState.Queued,
            QueuedAt = Time.GetUtcNow(),
            Conf = conf is null ? null : SerializeConf(dag, conf),
        };
        var tasks = dag.Tasks.Select(t => DagRunEngine.NewTaskInstance(run, t)).ToArray();
        if (!Store.TryCreateDagRun(run, tasks))
        {
            return null;
        }

        DagRunStateChanged?.Invoke(this, new DagRunStateChangedEventArgs(run));
        return run;
    }

    /// <summary>
    /// Executes a run to its end, or resumes it from its persisted state (after a crash, a shutdown, or in another
    /// process). Returns at once when the run has already ended.
    /// </summary>
    /// <param name="dag">The run's DAG (its current definition: tasks added since are run, tasks removed are marked removed).</param>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Stops the run: running attempts are cancelled (and given their try back), the state is persisted, and the run can be resumed later.</param>
    /// <returns>The ended run.</returns>
    /// <exception cref="DagRunNotFoundException">The DAG has no such run.</exception>
    /// <exception cref="DagRunOwnedException">Another live executor is running it.</exception>
    /// <exception cref="PipelineException">A task names an unknown pool, or the store failed.</exception>
    /// <remarks>
    /// A run is driven by one loop at a time: when this executor is already driving the run (the scheduler started
    /// it, or another call), this call waits for that drive to end and returns its result, so every task runs once
    /// per try; <paramref name="cancellationToken"/> then stops only the wait. If that drive is stopped by its own
    /// caller, this call takes the run over.
    /// </remarks>
    public virtual async Task<DagRunRecord> ExecuteAsync(Dag dag, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dag);
        ArgumentNullException.ThrowIfNull(runId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = (dag.DagId, runId);
        while (true)
        {
            // The store's claim is per executor identity, so it cannot tell two loops of this executor apart (the
            // scheduler starting a queued run that a direct RunAsync is driving): the drive itself is claimed here,
            // atomically, and a second caller waits for the drive in progress instead of starting another engine.
            Task<DagRunRecord>? inProgress;
            TaskCompletionSource<DagRunRecord>? mine = null;
            lock (_drivingLock)
            {
                if (!_driving.TryGetValue(key, out inProgress))
                {
                    mine = new TaskCompletionSource<DagRunRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _driving[key] = mine.Task;
                }
            }

            if (mine is null)
            {
                try
                {
                    return await inProgress!.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The drive in progress was stopped by its own caller; this caller takes the run over.
                    continue;
                }
            }

            try
            {
                var ended = await DriveAsync(dag, runId, cancellationToken).ConfigureAwait(false);
                mine.SetResult(ended);
                return ended;
            }
            catch (OperationCanceledException e)
            {
                mine.SetCanceled(e.CancellationToken);
                throw;
            }
            catch (Exception e)
            {
                mine.SetException(e);
                _ = mine.Task.Exception; // Observed: this caller rethrows it; waiters see it too.
                throw;
            }
            finally
            {
                lock (_drivingLock)
                {
                    _driving.Remove(key);
                }
            }
        }
    }

    /// <inheritdoc cref="ExecuteAsync"/>
    /// <remarks>Blocks the calling thread until the run ends; tasks still run on the thread pool.</remarks>
    public virtual DagRunRecord Execute(Dag dag, string runId, CancellationToken cancellationToken = default) =>
        ExecuteAsync(dag, runId, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Triggers a manual run of <paramref name="dag"/> and executes it to its end.</summary>
    /// <param name="dag">The DAG.</param>
    /// <param name="logicalDate">The logical date; now when null.</param>
    /// <param name="conf">Params overriding the DAG's defaults.</param>
    /// <param name="cancellationToken">Stops the run (resumable).</param>
    /// <returns>The ended run.</returns>
    public virtual Task<DagRunRecord> RunAsync(Dag dag, DateTimeOffset? logicalDate = null, IReadOnlyDictionary<string, object?>? conf = null, CancellationToken cancellationToken = default)
    {
        var run = CreateDagRun(dag, DagRunType.Manual, logicalDate ?? Time.GetUtcNow(), conf: conf);
        return ExecuteAsync(dag, run.RunId, cancellationToken);
    }

    /// <inheritdoc cref="RunAsync"/>
    public virtual DagRunRecord Run(Dag dag, DateTimeOffset? logicalDate = null, IReadOnlyDictionary<string, object?>? conf = null, CancellationToken cancellationToken = default) =>
        RunAsync(dag, logicalDate, conf, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Resumes every running run of the given DAGs that no live executor holds (left by a process that crashed or was
    /// stopped), all at once, and returns them when they have ended.
    /// </summary>
    /// <param name="dags">The DAGs whose runs to resume.</param>
    /// <param name="cancellationToken">Stops the resumed runs (resumable again).</param>
    /// <returns>The resumed runs, ended.</returns>
    public virtual async Task<IReadOnlyList<DagRunRecord>> ResumeAsync(IEnumerable<Dag> dags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dags);
        var work = new List<Task<DagRunRecord>>();
        foreach (var dag in dags)
        {
            var runs = Store.GetDagRuns(new DagRunQuery { DagId = dag.DagId, States = [DagRunState.Running], Limit = int.MaxValue });
            foreach (var run in runs.OrderBy(r => r.LogicalDate))
            {
                if (run.Owner is null || run.Owner == _identity || !ExecutorIdentity.IsAlive(run.Owner))
                {
                    work.Add(ExecuteAsync(dag, run.RunId, cancellationToken));
                }
            }
        }

        return await Task.WhenAll(work).ConfigureAwait(false);
    }

    /// <summary>Forgets this executor's identity, so its runs can be taken over.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            ExecutorIdentity.Unregister(_identity);
        }
    }

    internal void Publish(PipelineStateChanges changes)
    {
        var taskHandler = TaskStateChanged;
        var runHandler = DagRunStateChanged;
        try
        {
            if (taskHandler is not null)
            {
                foreach (var ti in changes.TaskInstances)
                {
                    taskHandler(this, new TaskStateChangedEventArgs(ti));
                }
            }

            if (runHandler is not null)
            {
                foreach (var run in changes.Runs)
                {
                    runHandler(this, new DagRunStateChangedEventArgs(run));
                }
            }
        }
        catch (Exception e)
        {
            // A subscriber's bug must not stop the run.
            Logger.LogError(e, "A TaskStateChanged or DagRunStateChanged handler threw; the run goes on.");
        }
    }

    internal void WaitForPast(string dagId, string taskId, DagRunEngine engine, int index)
    {
        lock (_pastLock)
        {
            if (!_pastWaiters.TryGetValue((dagId, taskId), out var list))
            {
                _pastWaiters[(dagId, taskId)] = list = [];
            }

            list.Add((engine, index));
            _pastWaiterCount++;
        }
    }

    internal void ForgetPastWait(string dagId, string taskId, DagRunEngine engine, int index)
    {
        lock (_pastLock)
        {
            if (_pastWaiters.TryGetValue((dagId, taskId), out var list) && list.Remove((engine, index)))
            {
                _pastWaiterCount--;
            }
        }
    }

    internal void ForgetPastWaits(DagRunEngine engine)
    {
        if (_pastWaiterCount == 0)
        {
            return;
        }

        lock (_pastLock)
        {
            foreach (var list in _pastWaiters.Values)
            {
                _pastWaiterCount -= list.RemoveAll(w => w.Engine == engine);
            }
        }
    }

    internal void NotifyTasksFinished(string dagId, string runId, List<int> indices, DagTask[] tasks)
    {
        if (_pastWaiterCount == 0)
        {
            return;
        }

        List<(DagRunEngine Engine, int Index)>? wake = null;
        lock (_pastLock)
        {
            foreach (var i in indices)
            {
                if (_pastWaiters.Remove((dagId, tasks[i].TaskId), out var list))
                {
                    _pastWaiterCount -= list.Count;
                    (wake ??= []).AddRange(list);
                }
            }
        }

        if (wake is not null)
        {
            foreach (var (engine, index) in wake)
            {
                engine.OnPastFinished(index);
            }
        }
    }

    private async Task<DagRunRecord> DriveAsync(Dag dag, string runId, CancellationToken cancellationToken)
    {
        var existing = Store.GetDagRun(dag.DagId, runId) ?? throw new DagRunNotFoundException($"DAG '{dag.DagId}' has no run '{runId}'.", dag.DagId, runId);
        if (existing.State is DagRunState.Success or DagRunState.Failed)
        {
            return existing;
        }

        var run = Store.TryClaimDagRun(dag.DagId, runId, _identity, ExecutorIdentity.IsAlive);
        if (run is null)
        {
            var owner = Store.GetDagRun(dag.DagId, runId)?.Owner ?? "?";
            throw new DagRunOwnedException($"DAG '{dag.DagId}' run '{runId}' is being executed by '{owner}', which is still running.", dag.DagId, runId, owner);
        }

        if (existing.Owner is not null && existing.Owner != _identity)
        {
            Logger.LogResuming(dag.DagId, runId, existing.Owner);
        }

        var engine = new DagRunEngine(this, dag, run);
        try
        {
            return await engine.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Store.ReleaseDagRun(dag.DagId, runId, _identity);
        }
    }

    private static string SerializeConf(Dag dag, IReadOnlyDictionary<string, object?> conf)
    {
        try
        {
            return JsonSerializer.Serialize(conf);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new PipelineException($"DAG '{dag.DagId}': the run's conf cannot be serialized to JSON: {e.Message}", dag.DagId, innerException: e);
        }
    }
}
