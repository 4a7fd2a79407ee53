namespace Mlops.Pipelines;

internal sealed partial class DagRunEngine
{
    private bool _loading = true;

    /// <summary>Applies trigger rules (and depends-on-past) to the tasks whose upstream states changed.</summary>
    private void Evaluate()
    {
        _loading = false;
        while (_candidates.TryPop(out var i))
        {
            _isCandidate[i] = false;
            if (_records[i].State != TaskInstanceState.None || _inReady[i] || _ended)
            {
                continue;
            }

            var task = _tasks[i];
            var c = _counts[i];
            var upstream = new UpstreamStates(task.UpstreamIndices.Length, c.Success, c.Skipped, c.Failed, c.UpstreamFailed, c.Removed);
            switch (TriggerRuleEvaluator.Evaluate(task.TriggerRule, upstream))
            {
                case TriggerDecision.Skip:
                    Finish(i, TaskInstanceState.Skipped, Time.GetUtcNow(), $"Skipped by trigger rule {task.TriggerRule}: {Describe(upstream)}.");
                    break;
                case TriggerDecision.UpstreamFailed:
                    Finish(i, TaskInstanceState.UpstreamFailed, Time.GetUtcNow(), $"Upstream failed (trigger rule {task.TriggerRule}): {Describe(upstream)}.");
                    break;
                case TriggerDecision.Run:
                    if (!task.DependsOnPast || PastAllowsRun(i))
                    {
                        MakeReady(i);
                    }

                    break;
            }
        }
    }

    private static string Describe(UpstreamStates u) =>
        $"upstream {u.Success} success, {u.Failed} failed, {u.UpstreamFailed} upstream_failed, {u.Skipped} skipped of {u.Total}";

    /// <summary>Airflow's depends_on_past: the same task in the previous run (by logical date) must have succeeded or been skipped.</summary>
    private bool PastAllowsRun(int i)
    {
        var task = _tasks[i];
        _executor.WaitForPast(_dag.DagId, task.TaskId, this, i);
        var previous = _store.GetPreviousTaskInstance(_dag.DagId, task.TaskId, _run.LogicalDate);
        var state = previous?.TaskInstance?.State;
        if (previous is null || state is null or TaskInstanceState.Success or TaskInstanceState.Skipped or TaskInstanceState.Removed)
        {
            _executor.ForgetPastWait(_dag.DagId, task.TaskId, this, i);
            return true;
        }

        if (state.Value.IsFinished())
        {
            _executor.ForgetPastWait(_dag.DagId, task.TaskId, this, i);
            _blockedByPast.Add($"'{task.TaskId}' depends on past and is {state.Value.ToAirflowName()} in run '{previous.Value.Run.RunId}'");
            return false;
        }

        _waitingOnPast.Add(i);
        return false;
    }

    private void MakeReady(int i)
    {
        var task = _tasks[i];
        if (!_ready.TryGetValue(task.Pool, out var queue))
        {
            _ready[task.Pool] = queue = new PriorityQueue<int, (int, int)>();
        }

        queue.Enqueue(i, (-task.PriorityWeight, i));
        _inReady[i] = true;
        _readyCount++;
        _newlyReady.Add(i);
    }

    /// <summary>Starts ready tasks while their pool and the executor have free slots; the rest are persisted as queued.</summary>
    private void StartReady()
    {
        if (!_interrupted && !_ended && _readyCount > 0)
        {
            var now = Time.GetUtcNow();
            foreach (var (pool, queue) in _ready)
            {
                while (queue.TryPeek(out var i, out _) && Slots.TryAcquire(pool, _tasks[i].PoolSlots, this))
                {
                    queue.Dequeue();
                    _readyCount--;
                    Start(i, now);
                }
            }
        }

        foreach (var i in _newlyReady)
        {
            var record = _records[i];
            if (_inReady[i] && record.State != TaskInstanceState.Queued)
            {
                Set(i, record with { State = TaskInstanceState.Queued });
            }
        }

        _newlyReady.Clear();
    }

    private void Start(int i, DateTimeOffset now)
    {
        var task = _tasks[i];
        var record = _records[i];
        var reschedule = _isReschedule[i];
        _isReschedule[i] = false;
        _inReady[i] = false;
        var tryNumber = reschedule ? record.TryNumber : record.TryNumber + 1;
        var firstStart = reschedule ? record.FirstStartDate ?? now : now;
        var started = record with
        {
            State = TaskInstanceState.Running,
            TryNumber = tryNumber,
            StartDate = firstStart,
            EndDate = null,
            NextAttemptAt = null,
            FirstStartDate = firstStart,
            Reschedules = reschedule ? record.Reschedules + 1 : 0,
            Error = null,
        };
        Set(i, started);
        _changes.Attempts.Add(new TaskAttemptRecord
        {
            DagId = _dag.DagId,
            RunId = _run.RunId,
            TaskId = task.TaskId,
            TryNumber = tryNumber,
            State = TaskInstanceState.Running,
            StartDate = firstStart,
        });
        _running++;
        var seed = new TaskContextSeed(_run, _params, tryNumber, started.MaxTries, started.Reschedules + 1, reschedule ? firstStart : null, _runCancellation.Token);
        _toStart.Add(new TaskAttempt(this, task, seed));
        Logger.LogAttemptStarted(_dag.DagId, _run.RunId, task.TaskId, tryNumber);
    }

    private void OnAttemptResult(AttemptResult result)
    {
        var i = result.TaskIndex;
        var record = _records[i];
        if (result.Logs is { Count: > 0 } logs)
        {
            _changes.Logs.AddRange(logs);
        }

        if (record.State != TaskInstanceState.Running || record.TryNumber != result.TryNumber)
        {
            return; // The run timed out and already closed this task.
        }

        var end = result.EndDate;
        var attemptState = result.Outcome switch
        {
            AttemptOutcome.Success => TaskInstanceState.Success,
            AttemptOutcome.Skipped => TaskInstanceState.Skipped,
            AttemptOutcome.Rescheduled => TaskInstanceState.UpForReschedule,
            _ => TaskInstanceState.Failed,
        };
        _changes.Attempts.Add(new TaskAttemptRecord
        {
            DagId = _dag.DagId,
            RunId = _run.RunId,
            TaskId = record.TaskId,
            TryNumber = result.TryNumber,
            State = attemptState,
            StartDate = record.StartDate ?? end,
            EndDate = end,
            Error = result.Error,
        });
        switch (result.Outcome)
        {
            case AttemptOutcome.Success:
                if (result.Xcoms is { } xcoms)
                {
                    _changes.Xcoms.AddRange(xcoms);
                    _xcomsToPublish.AddRange(xcoms);
                }

                Finish(i, TaskInstanceState.Success, end, null);
                break;
            case AttemptOutcome.Skipped:
                Finish(i, TaskInstanceState.Skipped, end, result.Error);
                break;
            case AttemptOutcome.FailedNoRetry:
                Finish(i, TaskInstanceState.Failed, end, result.Error);
                Logger.LogTaskFailed(_dag.DagId, _run.RunId, record.TaskId, result.TryNumber, result.Error);
                break;
            case AttemptOutcome.Failed or AttemptOutcome.TimedOut:
                FailOrRetry(i, result.TryNumber, result.Error, end, retryable: true);
                break;
            case AttemptOutcome.Rescheduled:
                Set(i, record with { State = TaskInstanceState.UpForReschedule, NextAttemptAt = result.RescheduleAt, EndDate = end });
                ArmTimer(i, result.RescheduleAt!.Value, Time.GetUtcNow());
                break;
            case AttemptOutcome.Interrupted:
                // Stopping is not the task's fault: the interrupted try is given back, and the task retries at once on resume.
                Set(i, record with { State = TaskInstanceState.UpForRetry, NextAttemptAt = end, EndDate = end, MaxTries = record.MaxTries + 1, Error = result.Error });
                break;
        }
    }

    private void FailOrRetry(int i, int tryNumber, string? error, DateTimeOffset now, bool retryable)
    {
        var record = _records[i];
        if (retryable && tryNumber < record.MaxTries)
        {
            var retryAt = now + RetryBackoff.Delay(_tasks[i], _run.RunId, tryNumber);
            Set(i, record with { State = TaskInstanceState.UpForRetry, EndDate = now, NextAttemptAt = retryAt, Error = error });
            ArmTimer(i, retryAt, now);
            Logger.LogAttemptRetry(_dag.DagId, _run.RunId, record.TaskId, tryNumber, record.MaxTries, retryAt, error);
        }
        else
        {
            Finish(i, TaskInstanceState.Failed, now, error);
            Logger.LogTaskFailed(_dag.DagId, _run.RunId, record.TaskId, tryNumber, error);
        }
    }

    /// <summary>Puts a task in a final state and lets its downstream tasks re-evaluate their trigger rules.</summary>
    private void Finish(int i, TaskInstanceState state, DateTimeOffset end, string? error)
    {
        Set(i, _records[i] with { State = state, EndDate = end, NextAttemptAt = null, Error = error });
        _finishedThisBatch.Add(i);
        if (!_loading)
        {
            _unfinished--;
            CountDownstream(i, state, enqueue: true);
        }
    }

    private void CountDownstream(int i, TaskInstanceState state, bool enqueue)
    {
        foreach (var d in _tasks[i].DownstreamIndices)
        {
            ref var c = ref _counts[d];
            switch (state)
            {
                case TaskInstanceState.Success: c.Success++; break;
                case TaskInstanceState.Skipped: c.Skipped++; break;
                case TaskInstanceState.Failed: c.Failed++; break;
                case TaskInstanceState.UpstreamFailed: c.UpstreamFailed++; break;
                case TaskInstanceState.Removed: c.Removed++; break;
            }

            if (enqueue && _records[d].State == TaskInstanceState.None)
            {
                PushCandidate(d);
            }
        }
    }

    private void PushCandidate(int i)
    {
        if (!_isCandidate[i])
        {
            _isCandidate[i] = true;
            _candidates.Push(i);
        }
    }

    private void Set(int i, TaskInstanceRecord record)
    {
        _records[i] = record;
        _changes.TaskInstances.Add(record);
    }

    private void ArmTimer(int i, DateTimeOffset dueAt, DateTimeOffset now)
    {
        if (_timers.Remove(i, out var old))
        {
            old.Dispose();
        }

        var delay = dueAt - now;
        _timers[i] = Time.CreateTimer(
            static s =>
            {
                var (engine, index) = ((DagRunEngine, int))s!;
                engine.Post(new EngineEvent(EngineEventKind.TimerDue, index));
            },
            (this, i),
            delay > TimeSpan.Zero ? delay : TimeSpan.Zero,
            Timeout.InfiniteTimeSpan);
    }

    private void OnTimerDue(int i, DateTimeOffset now)
    {
        if (_timers.Remove(i, out var timer))
        {
            timer.Dispose();
        }

        var record = _records[i];
        if (record.State is TaskInstanceState.UpForRetry or TaskInstanceState.UpForReschedule && !_ended && !_inReady[i])
        {
            _isReschedule[i] = record.State == TaskInstanceState.UpForReschedule;
            MakeReady(i);
        }
    }

    private void OnRunTimeout(DateTimeOffset now)
    {
        if (_ended)
        {
            return;
        }

        // As in Airflow: the run fails and whatever has not finished is skipped; running attempts are cancelled.
        var note = $"The run timed out after {_dag.DagRunTimeout} (DagRunTimeout).";
        for (var i = 0; i < _tasks.Length; i++)
        {
            if (!_records[i].State.IsFinished())
            {
                Set(i, _records[i] with { State = TaskInstanceState.Skipped, EndDate = now, NextAttemptAt = null, Error = note });
                _finishedThisBatch.Add(i);
            }
        }

        _runCancellation.Cancel();
        EndRun(DagRunState.Failed, now, note);
    }

    /// <summary>Ends the run when every task is final (state from the leaves, as Airflow), or when nothing can ever run again (deadlock).</summary>
    private void CheckEnd()
    {
        if (_ended || _interrupted)
        {
            return;
        }

        var now = Time.GetUtcNow();
        if (_unfinished == 0)
        {
            var anyLeafFailed = false;
            var allLeavesOk = true;
            foreach (var leaf in _dag.Leaves)
            {
                var state = _records[leaf.Index].State;
                anyLeafFailed |= state is TaskInstanceState.Failed or TaskInstanceState.UpstreamFailed;
                allLeavesOk &= state is TaskInstanceState.Success or TaskInstanceState.Skipped or TaskInstanceState.Removed;
            }

            EndRun(!anyLeafFailed && allLeavesOk ? DagRunState.Success : DagRunState.Failed, now, null);
        }
        else if (_running == 0 && _readyCount == 0 && _timers.Count == 0 && _waitingOnPast.Count == 0)
        {
            var waiting = Enumerable.Range(0, _tasks.Length).Where(i => !_records[i].State.IsFinished()).Select(i => _tasks[i].TaskId).Take(10);
            var reason = _blockedByPast.Count > 0 ? string.Join("; ", _blockedByPast) : "no task can run";
            EndRun(DagRunState.Failed, now, $"Deadlock: {reason}. Unfinished tasks: {string.Join(", ", waiting)}.");
        }
    }

    private void EndRun(DagRunState state, DateTimeOffset now, string? note)
    {
        _ended = true;
        _run = _run with { State = state, EndDate = now, Note = note ?? _run.Note, Owner = null };
        _changes.Runs.Add(_run);
        _toStart.Clear();
        Logger.LogRunEnded(_dag.DagId, _run.RunId, state, _run.Duration, note is null ? string.Empty : $": {note}");
    }
}
