using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mlops.Pipelines;

/// <summary>
/// Airflow's scheduler as a hosted service: for each DAG it creates a run for every due data interval (logical
/// date = start of the interval, created once the interval has ended), catching up or not, and starts queued runs
/// (scheduled, manual and backfill) oldest first while the DAG has fewer than its max active runs. Time comes from
/// the <see cref="TimeProvider"/>, so tests drive it with a fake clock.
/// </summary>
public class PipelineScheduler : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string DagId, string RunId), Task> _active = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SchedulerOptions _options;
    private readonly ILogger _logger;
    private CancellationToken _stopping = CancellationToken.None;

    /// <summary>Creates a scheduler.</summary>
    /// <param name="executor">Runs the runs.</param>
    /// <param name="dags">The DAGs to schedule.</param>
    /// <param name="options">Sleep bound and resume-on-start; defaults when null.</param>
    /// <param name="logger">The scheduler's logger.</param>
    public PipelineScheduler(PipelineExecutor executor, DagRegistry dags, SchedulerOptions? options = null, ILogger<PipelineScheduler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(dags);
        Executor = executor;
        Dags = dags;
        _options = options ?? new SchedulerOptions();
        _options.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Raised when a pass is over and the scheduler waits; its wake-up timer is armed by then.</summary>
    public event EventHandler<SchedulerIdleEventArgs>? Idle;

    /// <summary>The executor that runs the runs.</summary>
    public PipelineExecutor Executor { get; }

    /// <summary>The DAGs scheduled.</summary>
    public DagRegistry Dags { get; }

    private TimeProvider Time => Executor.Time;

    /// <summary>Creates a manual run (queued; it starts when the DAG has a free active-run slot) and wakes the scheduler.</summary>
    /// <param name="dagId">The DAG.</param>
    /// <param name="logicalDate">The logical date; now when null.</param>
    /// <param name="conf">Params overriding the DAG's defaults.</param>
    /// <returns>The queued run.</returns>
    /// <exception cref="DagRunNotFoundException">No such DAG is registered.</exception>
    /// <exception cref="DagRunAlreadyExistsException">The DAG has a run with that logical date.</exception>
    public virtual DagRunRecord Trigger(string dagId, DateTimeOffset? logicalDate = null, IReadOnlyDictionary<string, object?>? conf = null)
    {
        var run = Executor.CreateDagRun(Dags.Get(dagId), DagRunType.Manual, logicalDate ?? Time.GetUtcNow(), conf: conf);
        _wake.Release();
        return run;
    }

    /// <summary>
    /// Creates a backfill run (queued) for every data interval whose logical date lies in [<paramref name="from"/>,
    /// <paramref name="to"/>], skipping dates that already have a run, and wakes the scheduler. Runs start oldest first
    /// within the DAG's max active runs.
    /// </summary>
    /// <param name="dagId">The DAG.</param>
    /// <param name="from">The first logical date (inclusive).</param>
    /// <param name="to">The last logical date (inclusive).</param>
    /// <returns>The runs created.</returns>
    public virtual IReadOnlyList<DagRunRecord> Backfill(string dagId, DateTimeOffset from, DateTimeOffset to)
    {
        if (to < from)
        {
            throw new ArgumentException($"The backfill range ends ({to:O}) before it starts ({from:O}).", nameof(to));
        }

        var dag = Dags.Get(dagId);
        var created = new List<DagRunRecord>();
        foreach (var interval in RunPlanner.Range(dag, from.ToUniversalTime(), to.ToUniversalTime()))
        {
            if (Executor.TryCreateDagRun(dag, DagRunType.Backfill, interval.Start, interval) is { } run)
            {
                created.Add(run);
            }
        }

        _wake.Release();
        return created;
    }

    /// <summary>
    /// One scheduler pass: creates the runs that are due for every DAG (within max active runs) and starts queued runs.
    /// The hosted service calls it in a loop; tests call it after advancing a fake clock.
    /// </summary>
    /// <returns>When the next interval of any DAG ends (the next time a run becomes due), if any.</returns>
    public virtual DateTimeOffset? SchedulePass()
    {
        DateTimeOffset? wakeUp = null;
        var now = Time.GetUtcNow();
        foreach (var dag in Dags.Dags)
        {
            var due = CreateDueRuns(dag, now);
            if (due is { } at && (wakeUp is null || at < wakeUp))
            {
                wakeUp = at;
            }

            StartQueuedRuns(dag);
        }

        return wakeUp;
    }

    /// <summary>Waits until every run this scheduler has started has ended (or stopped).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public virtual async Task WaitForActiveRunsAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task[] active;
            lock (_lock)
            {
                active = [.. _active.Values];
            }

            if (active.Length == 0)
            {
                return;
            }

            await Task.WhenAll(active).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        if (_options.ResumeOnStart)
        {
            ResumeOrphanedRuns();
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            DateTimeOffset? next = null;
            try
            {
                next = SchedulePass();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The scheduler never dies of one bad pass (a store hiccup); it tries again after the next sleep.
                _logger.LogSchedulerError(e);
            }

            var now = Time.GetUtcNow();
            var sleep = next is { } at && at - now < _options.MaxSleep ? at - now : _options.MaxSleep;
            if (sleep < TimeSpan.Zero)
            {
                sleep = TimeSpan.Zero;
            }

            using var wakeOrStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(sleep, Time, wakeOrStop.Token);
            var woken = _wake.WaitAsync(wakeOrStop.Token);
            Idle?.Invoke(this, new SchedulerIdleEventArgs(now + sleep));
            await Task.WhenAny(delay, woken).ConfigureAwait(false);
            await wakeOrStop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(delay, woken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            while (_wake.CurrentCount > 0 && _wake.Wait(0))
            {
                // Several wake-ups collapse into one pass.
            }
        }

        try
        {
            await WaitForActiveRunsAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Runs stopped by the shutdown are resumed next time.
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    private DateTimeOffset? CreateDueRuns(Dag dag, DateTimeOffset now)
    {
        if (dag.Schedule is null)
        {
            return null;
        }

        var lastRun = Executor.Store.GetDagRuns(new DagRunQuery { DagId = dag.DagId, RunType = DagRunType.Scheduled, Limit = 1 }).FirstOrDefault();
        DataInterval? last = lastRun is null ? null : new DataInterval(lastRun.DataIntervalStart, lastRun.DataIntervalEnd);
        var active = CountActive(dag);
        while (active < dag.MaxActiveRuns)
        {
            if (RunPlanner.NextDue(dag, last, now, out var wakeUp) is not { } interval)
            {
                return wakeUp;
            }

            if (Executor.TryCreateDagRun(dag, DagRunType.Scheduled, interval.Start, interval) is { } run)
            {
                _logger.LogRunCreated(dag.DagId, run.RunId, interval);
                active++;
            }

            last = interval;
        }

        return null; // At max active runs: a run ending wakes the scheduler.
    }

    private int CountActive(Dag dag) =>
        Executor.Store.GetDagRuns(new DagRunQuery { DagId = dag.DagId, States = [DagRunState.Queued, DagRunState.Running], Limit = int.MaxValue }).Count;

    private void StartQueuedRuns(Dag dag)
    {
        var runs = Executor.Store.GetDagRuns(new DagRunQuery { DagId = dag.DagId, States = [DagRunState.Queued, DagRunState.Running], Limit = int.MaxValue });
        var running = runs.Count(r => r.State == DagRunState.Running);
        foreach (var run in runs.Where(r => r.State == DagRunState.Queued).OrderBy(r => r.LogicalDate))
        {
            if (running >= dag.MaxActiveRuns)
            {
                break;
            }

            if (Start(dag, run.RunId))
            {
                running++;
            }
        }
    }

    private void ResumeOrphanedRuns()
    {
        foreach (var dag in Dags.Dags)
        {
            var runs = Executor.Store.GetDagRuns(new DagRunQuery { DagId = dag.DagId, States = [DagRunState.Running], Limit = int.MaxValue });
            foreach (var run in runs.OrderBy(r => r.LogicalDate))
            {
                if (run.Owner is null || !ExecutorIdentity.IsAlive(run.Owner))
                {
                    Start(dag, run.RunId);
                }
            }
        }
    }

    private bool Start(Dag dag, string runId)
    {
        lock (_lock)
        {
            if (_active.ContainsKey((dag.DagId, runId)))
            {
                return false;
            }

            // Reserve the slot before the run starts, so that a run ending at once cannot be missed.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _active[(dag.DagId, runId)] = started.Task;
            _ = RunAndForgetAsync(dag, runId, started);
            return true;
        }
    }

    private async Task RunAndForgetAsync(Dag dag, string runId, TaskCompletionSource done)
    {
        try
        {
            await Task.Yield();
            await Executor.ExecuteAsync(dag, runId, _stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped with the host; the run resumes next time.
        }
        catch (Exception e)
        {
            _logger.LogRunCrashed(e, dag.DagId, runId);
        }
        finally
        {
            lock (_lock)
            {
                _active.Remove((dag.DagId, runId));
            }

            done.TrySetResult();
            _wake.Release();
        }
    }
}
