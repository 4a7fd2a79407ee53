using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

/// <summary>
/// Drives one DAG run to its end on a single logical thread: it waits for events (attempt results, due retries and
/// pokes, freed slots, a finished previous run), applies Airflow's rules to compute the resulting state changes,
/// persists them as one batch, and only then acts on them (starts attempts, arms timers, ends the run).
/// </summary>
internal sealed partial class DagRunEngine
{
    private readonly PipelineExecutor _executor;
    private readonly Dag _dag;
    private readonly DagTask[] _tasks;
    private readonly IPipelineStore _store;
    private readonly Channel<EngineEvent> _events = Channel.CreateUnbounded<EngineEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PipelineStateChanges _changes = new();
    private readonly List<TaskAttempt> _toStart = [];
    private readonly List<XcomRecord> _xcomsToPublish = [];
    private readonly List<int> _finishedThisBatch = [];
    private readonly TaskInstanceRecord[] _records;
    private readonly UpstreamCounts[] _counts;
    private readonly Stack<int> _candidates = new();
    private readonly bool[] _isCandidate;
    private readonly bool[] _isReschedule;
    private readonly bool[] _inReady;
    private readonly Dictionary<string, PriorityQueue<int, (int, int)>> _ready = new(StringComparer.Ordinal);
    private readonly List<int> _newlyReady = [];
    private readonly Dictionary<int, ITimer> _timers = [];
    private readonly HashSet<int> _waitingOnPast = [];
    private readonly List<string> _blockedByPast = [];
    private readonly CancellationTokenSource _runCancellation = new();
    private DagRunRecord _run;
    private IReadOnlyDictionary<string, JsonElement> _params = new Dictionary<string, JsonElement>();
    private ITimer? _runTimeout;
    private ITimer? _shutdownTimer;
    private int _readyCount;
    private int _running;
    private int _unfinished;
    private bool _interrupted;
    private bool _ended;

    public DagRunEngine(PipelineExecutor executor, Dag dag, DagRunRecord run)
    {
        _executor = executor;
        _dag = dag;
        _tasks = [.. dag.Tasks];
        _store = executor.Store;
        _run = run;
        _records = new TaskInstanceRecord[_tasks.Length];
        _counts = new UpstreamCounts[_tasks.Length];
        _isCandidate = new bool[_tasks.Length];
        _isReschedule = new bool[_tasks.Length];
        _inReady = new bool[_tasks.Length];
        Logger = executor.Logger;
    }

    public ExecutorOptions Options => _executor.Options;

    public TimeProvider Time => _executor.Time;

    public ILogger Logger { get; }

    public ILogger TaskLogger => _executor.TaskLogger;

    public PoolSlots Slots => _executor.Slots;

    public RunXcoms Xcoms { get; } = new();

    public async Task<DagRunRecord> RunAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static s => ((DagRunEngine)s!).Post(new EngineEvent(EngineEventKind.Interrupt, -1)), this);
        try
        {
            Load();
            while (true)
            {
                Evaluate();
                StartReady();
                CheckEnd();
                Persist();
                if (_ended)
                {
                    return _run;
                }

                if (_interrupted && _running == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                Dispatch();
                await WaitForEventsAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger.LogRunCrashed(e, _dag.DagId, _run.RunId);
            throw;
        }
        finally
        {
            _runCancellation.Cancel();
            foreach (var timer in _timers.Values)
            {
                timer.Dispose();
            }

            _runTimeout?.Dispose();
            _shutdownTimer?.Dispose();
            Slots.Forget(this);
            _executor.ForgetPastWaits(this);
            _runCancellation.Dispose();
        }
    }

    public void OnAttemptDone(AttemptResult result) => Post(new EngineEvent(EngineEventKind.AttemptDone, result.TaskIndex, result));

    public void OnSlotsFreed() => Post(new EngineEvent(EngineEventKind.SlotsFreed, -1));

    public void OnPastFinished(int taskIndex) => Post(new EngineEvent(EngineEventKind.PastFinished, taskIndex));

    private void Post(EngineEvent e) => _events.Writer.TryWrite(e);

    private void Load()
    {
        var now = Time.GetUtcNow();
        foreach (var task in _tasks)
        {
            Slots.Validate(task, _run.RunId);
        }

        _params = MergeParams(_dag, _run);
        var stored = _store.GetTaskInstances(_dag.DagId, _run.RunId).ToDictionary(t => t.TaskId, StringComparer.Ordinal);
        for (var i = 0; i < _tasks.Length; i++)
        {
            var task = _tasks[i];
            if (!stored.Remove(task.TaskId, out var record))
            {
                // The DAG gained this task since the run was created.
                record = NewTaskInstance(_run, task);
                _changes.TaskInstances.Add(record);
            }

            _records[i] = record;
        }

        foreach (var gone in stored.Values.Where(r => !r.State.IsFinished()))
        {
            _changes.TaskInstances.Add(gone with { State = TaskInstanceState.Removed, EndDate = now, Error = "The task is no longer in the DAG." });
        }

        foreach (var xcom in _store.GetXcoms(_dag.DagId, _run.RunId))
        {
            Xcoms.Set(xcom.TaskId, xcom.Key, xcom.Json);
        }

        for (var i = 0; i < _tasks.Length; i++)
        {
            RecoverState(i, now);
        }

        for (var i = 0; i < _tasks.Length; i++)
        {
            if (_records[i].State.IsFinished())
            {
                CountDownstream(i, _records[i].State, enqueue: false);
            }
            else
            {
                _unfinished++;
            }
        }

        for (var i = _tasks.Length - 1; i >= 0; i--)
        {
            if (_records[i].State == TaskInstanceState.None)
            {
                PushCandidate(i);
            }
        }

        if (_run.State != DagRunState.Running)
        {
            _run = _run with { State = DagRunState.Running, StartDate = _run.StartDate ?? now };
            _changes.Runs.Add(_run);
            Logger.LogRunStarted(_dag.DagId, _run.RunId, _tasks.Length);
        }

        if (_dag.DagRunTimeout is { } limit)
        {
            var due = _run.StartDate!.Value + limit - now;
            _runTimeout = Time.CreateTimer(static s => ((DagRunEngine)s!).Post(new EngineEvent(EngineEventKind.RunTimeout, -1)), this, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Turns what a previous executor left into states this one can act on.</summary>
    private void RecoverState(int i, DateTimeOffset now)
    {
        var record = _records[i];
        switch (record.State)
        {
            case TaskInstanceState.Running:
                // A zombie: the process that ran it is gone, so the try counts as failed (Airflow's zombie handling).
                Logger.LogZombie(_dag.DagId, _run.RunId, record.TaskId, record.TryNumber, _run.Owner);
                var error = $"The executor running try {record.TryNumber} stopped before it ended (zombie task).";
                _changes.Attempts.Add(new TaskAttemptRecord
                {
                    DagId = _dag.DagId,
                    RunId = _run.RunId,
                    TaskId = record.TaskId,
                    TryNumber = record.TryNumber,
                    State = TaskInstanceState.Failed,
                    StartDate = record.StartDate ?? now,
                    EndDate = now,
                    Error = error,
                });
                _records[i] = record with { State = TaskInstanceState.Running };
                FailOrRetry(i, record.TryNumber, error, now, retryable: true);
                break;
            case TaskInstanceState.Queued or TaskInstanceState.Scheduled:
                Set(i, record with { State = TaskInstanceState.None });
                break;
            case TaskInstanceState.UpForRetry or TaskInstanceState.UpForReschedule:
                ArmTimer(i, record.NextAttemptAt ?? now, now);
                break;
        }
    }

    private static IReadOnlyDictionary<string, JsonElement> MergeParams(Dag dag, DagRunRecord run)
    {
        if (run.Conf is null)
        {
            return dag.Params;
        }

        var merged = new Dictionary<string, JsonElement>(dag.Params, StringComparer.Ordinal);
        using var conf = JsonDocument.Parse(run.Conf);
        foreach (var property in conf.RootElement.EnumerateObject())
        {
            merged[property.Name] = property.Value.Clone();
        }

        return merged;
    }

    internal static TaskInstanceRecord NewTaskInstance(DagRunRecord run, DagTask task) => new()
    {
        DagId = run.DagId,
        RunId = run.RunId,
        TaskId = task.TaskId,
        State = TaskInstanceState.None,
        MaxTries = task.MaxTries,
        Pool = task.Pool,
    };

    private void Persist()
    {
        if (!_changes.IsEmpty)
        {
            _store.Apply(_changes);
        }

        // Acknowledged: from here on the changes may be acted on and shown.
        foreach (var xcom in _xcomsToPublish)
        {
            Xcoms.Set(xcom.TaskId, xcom.Key, xcom.Json);
        }

        _executor.Publish(_changes);
        if (_finishedThisBatch.Count > 0)
        {
            _executor.NotifyTasksFinished(_dag.DagId, _run.RunId, _finishedThisBatch, _tasks);
        }

        _xcomsToPublish.Clear();
        _finishedThisBatch.Clear();
        _changes.Clear();
    }

    private void Dispatch()
    {
        foreach (var attempt in _toStart)
        {
            ThreadPool.UnsafeQueueUserWorkItem(attempt, preferLocal: false);
        }

        _toStart.Clear();
    }

    private async ValueTask WaitForEventsAsync()
    {
        var reader = _events.Reader;
        if (!reader.TryRead(out var e))
        {
            await reader.WaitToReadAsync().ConfigureAwait(false);
            reader.TryRead(out e);
        }

        var now = Time.GetUtcNow();
        Handle(e, now);
        while (reader.TryRead(out e))
        {
            Handle(e, now);
        }
    }

    private void Handle(EngineEvent e, DateTimeOffset now)
    {
        switch (e.Kind)
        {
            case EngineEventKind.AttemptDone:
                _running--;
                OnAttemptResult(e.Result!);
                break;
            case EngineEventKind.TimerDue:
                OnTimerDue(e.TaskIndex, now);
                break;
            case EngineEventKind.PastFinished:
                if (_waitingOnPast.Remove(e.TaskIndex))
                {
                    PushCandidate(e.TaskIndex);
                }

                break;
            case EngineEventKind.RunTimeout:
                OnRunTimeout(now);
                break;
            case EngineEventKind.Interrupt:
                _interrupted = true;
                _runCancellation.Cancel();
                _shutdownTimer ??= Time.CreateTimer(
                    static s => ((DagRunEngine)s!).Post(new EngineEvent(EngineEventKind.ShutdownExpired, -1)), this, Options.ShutdownTimeout, Timeout.InfiniteTimeSpan);
                break;
            case EngineEventKind.ShutdownExpired:
                // Attempts that ignore cancellation are abandoned; they stay "running" in the store and are
                // handled as zombies (a failed try) when the run resumes.
                _running = 0;
                break;
            case EngineEventKind.SlotsFreed:
                break; // StartReady runs after every batch of events.
        }
    }

    private enum EngineEventKind
    {
        AttemptDone,
        TimerDue,
        SlotsFreed,
        PastFinished,
        RunTimeout,
        Interrupt,
        ShutdownExpired,
    }

    private readonly record struct EngineEvent(EngineEventKind Kind, int TaskIndex, AttemptResult? Result = null);

    /// <summary>Counts of a task's upstream tasks by final state.</summary>
    private struct UpstreamCounts
    {
        public int Success;
        public int Skipped;
        public int Failed;
        public int UpstreamFailed;
        public int Removed;
    }
}
