using Mlops.Pipelines;

namespace Mlops.Testing;

/// <summary>
/// An <see cref="IPipelineStore"/> in memory, for tests: the same semantics as <see cref="SqlitePipelineStore"/>
/// (unique run ids and logical dates per DAG, atomic batches, run ownership, newest-first queries) without a file.
/// Thread-safe. Nothing survives the process.
/// </summary>
public sealed class InMemoryPipelineStore : IPipelineStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string DagId, string RunId), DagRunRecord> _runs = [];
    private readonly Dictionary<(string DagId, string RunId), Dictionary<string, TaskInstanceRecord>> _taskInstances = [];
    private readonly Dictionary<(string DagId, string RunId, string TaskId, int Try), TaskAttemptRecord> _attempts = [];
    private readonly Dictionary<(string DagId, string RunId, string TaskId, int Try), SortedDictionary<int, TaskLogEntry>> _logs = [];
    private readonly Dictionary<(string DagId, string RunId), Dictionary<(string TaskId, string Key), XcomRecord>> _xcoms = [];

    /// <summary>How many batches <see cref="Apply"/> has written (to assert on persistence in tests).</summary>
    public int AppliedBatches { get; private set; }

    /// <inheritdoc/>
    public bool TryCreateDagRun(DagRunRecord run, IReadOnlyList<TaskInstanceRecord> taskInstances)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(taskInstances);
        lock (_lock)
        {
            if (_runs.ContainsKey((run.DagId, run.RunId))
                || _runs.Values.Any(r => r.DagId == run.DagId && r.LogicalDate.UtcTicks == run.LogicalDate.UtcTicks))
            {
                return false;
            }

            _runs[(run.DagId, run.RunId)] = run;
            _taskInstances[(run.DagId, run.RunId)] = taskInstances.ToDictionary(t => t.TaskId, StringComparer.Ordinal);
            return true;
        }
    }

    /// <inheritdoc/>
    public DagRunRecord? TryClaimDagRun(string dagId, string runId, string owner, Func<string, bool> isOwnerAlive)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(isOwnerAlive);
        lock (_lock)
        {
            if (!_runs.TryGetValue((dagId, runId), out var run))
            {
                throw new DagRunNotFoundException($"DAG '{dagId}' has no run '{runId}'.", dagId, runId);
            }

            if (run.Owner is { } current && current != owner && isOwnerAlive(current))
            {
                return null;
            }

            return _runs[(dagId, runId)] = run with { Owner = owner };
        }
    }

    /// <inheritdoc/>
    public void ReleaseDagRun(string dagId, string runId, string owner)
    {
        lock (_lock)
        {
            if (_runs.TryGetValue((dagId, runId), out var run) && run.Owner == owner)
            {
                _runs[(dagId, runId)] = run with { Owner = null };
            }
        }
    }

    /// <inheritdoc/>
    public void Apply(PipelineStateChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_lock)
        {
            foreach (var run in changes.Runs)
            {
                _runs[(run.DagId, run.RunId)] = run;
            }

            foreach (var ti in changes.TaskInstances)
            {
                if (!_taskInstances.TryGetValue((ti.DagId, ti.RunId), out var tis))
                {
                    _taskInstances[(ti.DagId, ti.RunId)] = tis = new(StringComparer.Ordinal);
                }

                tis[ti.TaskId] = ti;
            }

            foreach (var attempt in changes.Attempts)
            {
                _attempts[(attempt.DagId, attempt.RunId, attempt.TaskId, attempt.TryNumber)] = attempt;
            }

            foreach (var log in changes.Logs)
            {
                var key = (log.DagId, log.RunId, log.TaskId, log.TryNumber);
                if (!_logs.TryGetValue(key, out var lines))
                {
                    _logs[key] = lines = [];
                }

                lines[log.Sequence] = log;
            }

            foreach (var xcom in changes.Xcoms)
            {
                if (!_xcoms.TryGetValue((xcom.DagId, xcom.RunId), out var values))
                {
                    _xcoms[(xcom.DagId, xcom.RunId)] = values = [];
                }

                values[(xcom.TaskId, xcom.Key)] = xcom;
            }

            AppliedBatches++;
        }
    }

    /// <inheritdoc/>
    public DagRunRecord? GetDagRun(string dagId, string runId)
    {
        lock (_lock)
        {
            return _runs.GetValueOrDefault((dagId, runId));
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<DagRunRecord> GetDagRuns(DagRunQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            return _runs.Values
                .Where(r => query.DagId is null || r.DagId == query.DagId)
                .Where(r => query.States is not { Count: > 0 } || query.States.Contains(r.State))
                .Where(r => query.RunType is null || r.RunType == query.RunType)
                .Where(r => query.LogicalDateFrom is null || r.LogicalDate >= query.LogicalDateFrom)
                .Where(r => query.LogicalDateTo is null || r.LogicalDate <= query.LogicalDateTo)
                .OrderByDescending(r => r.LogicalDate).ThenBy(r => r.DagId, StringComparer.Ordinal)
                .Take(query.Limit)
                .ToList();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<TaskInstanceRecord> GetTaskInstances(string dagId, string runId)
    {
        lock (_lock)
        {
            return _taskInstances.TryGetValue((dagId, runId), out var tis)
                ? tis.Values.OrderBy(t => t.TaskId, StringComparer.Ordinal).ToList()
                : [];
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<TaskAttemptRecord> GetTaskAttempts(string dagId, string runId, string? taskId = null)
    {
        lock (_lock)
        {
            return _attempts.Values
                .Where(a => a.DagId == dagId && a.RunId == runId && (taskId is null || a.TaskId == taskId))
                .OrderBy(a => a.TaskId, StringComparer.Ordinal).ThenBy(a => a.TryNumber)
                .ToList();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<TaskLogEntry> GetTaskLog(string dagId, string runId, string taskId, int tryNumber)
    {
        lock (_lock)
        {
            return _logs.TryGetValue((dagId, runId, taskId, tryNumber), out var lines) ? lines.Values.ToList() : [];
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<XcomRecord> GetXcoms(string dagId, string runId)
    {
        lock (_lock)
        {
            return _xcoms.TryGetValue((dagId, runId), out var values)
                ? values.Values.OrderBy(x => x.TaskId, StringComparer.Ordinal).ThenBy(x => x.Key, StringComparer.Ordinal).ToList()
                : [];
        }
    }

    /// <inheritdoc/>
    public (DagRunRecord Run, TaskInstanceRecord? TaskInstance)? GetPreviousTaskInstance(string dagId, string taskId, DateTimeOffset logicalDate)
    {
        lock (_lock)
        {
            var previous = _runs.Values
                .Where(r => r.DagId == dagId && r.LogicalDate < logicalDate)
                .MaxBy(r => r.LogicalDate);
            if (previous is null)
            {
                return null;
            }

            var ti = _taskInstances.TryGetValue((dagId, previous.RunId), out var tis) ? tis.GetValueOrDefault(taskId) : null;
            return (previous, ti);
        }
    }
}
