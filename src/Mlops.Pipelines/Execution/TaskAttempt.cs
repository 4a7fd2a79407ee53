using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

/// <summary>How an attempt ended.</summary>
internal enum AttemptOutcome
{
    Success,
    Skipped,
    Failed,
    FailedNoRetry,
    TimedOut,
    Rescheduled,
    Interrupted,
}

/// <summary>What an attempt reports to its run's engine.</summary>
internal sealed class AttemptResult
{
    public int TaskIndex { get; init; }

    public int TryNumber { get; init; }

    public AttemptOutcome Outcome { get; set; }

    public string? Error { get; set; }

    public List<XcomRecord>? Xcoms { get; set; }

    public List<TaskLogEntry>? Logs { get; set; }

    public DateTimeOffset EndDate { get; set; }

    public DateTimeOffset? RescheduleAt { get; set; }
}

/// <summary>
/// Runs one attempt of a task on the thread pool: builds its context, applies the execution timeout, turns the
/// outcome (value, skip, fail, reschedule, timeout, exception) into an <see cref="AttemptResult"/>, releases its
/// pool slots and reports to the engine.
/// </summary>
internal sealed class TaskAttempt(DagRunEngine engine, DagTask task, TaskContextSeed seed) : IThreadPoolWorkItem
{
    public void Execute() => _ = RunAsync();

    private async Task RunAsync()
    {
        var result = new AttemptResult { TaskIndex = task.Index, TryNumber = seed.TryNumber };
        var key = new TaskAttemptKey(seed.Run.DagId, seed.Run.RunId, task.TaskId, seed.TryNumber);
        var logger = new AttemptLogger(key, engine.TaskLogger, engine.Time, engine.Options.MaxLogLinesPerAttempt);
        CancellationTokenSource? timeout = null;
        CancellationTokenSource? linked = null;
        Task<object?>? work = null;
        try
        {
            var token = seed.RunToken;
            if (task.ExecutionTimeout is { } limit)
            {
                timeout = new CancellationTokenSource(limit, engine.Time);
                linked = CancellationTokenSource.CreateLinkedTokenSource(seed.RunToken, timeout.Token);
                token = linked.Token;
            }

            var context = new TaskContext(
                task, seed.Run, seed.Params, seed.TryNumber, seed.MaxTries, seed.PokeNumber, seed.FirstStartDate,
                logger, engine.Time, token, engine.Xcoms, engine.Options.MaxXcomBytes);
            // With a timeout the operator starts on its own thread: a synchronous delegate run inline would block
            // here and hand the timeout wait a finished task, so an overrun would be recorded as a success. On
            // timeout that thread is abandoned (it cannot be stopped safely) and whatever it returns is discarded.
            work = linked is null
                ? task.Operator.ExecuteAsync(context)
                : Task.Factory.StartNew(
                    static s =>
                    {
                        var (op, ctx) = ((TaskOperator, TaskContext))s!;
                        return op.ExecuteAsync(ctx);
                    },
                    (task.Operator, context), CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();
            var value = linked is null ? await work.ConfigureAwait(false) : await work.WaitAsync(linked.Token).ConfigureAwait(false);
            var xcoms = context.Pushed;
            if (value is not null)
            {
                var json = XcomSerializer.Serialize(value, engine.Options.MaxXcomBytes, key.DagId, key.RunId, key.TaskId, XcomKeys.ReturnValue);
                xcoms ??= [];
                xcoms.RemoveAll(x => x.Key == XcomKeys.ReturnValue);
                xcoms.Add(new XcomRecord(key.DagId, key.RunId, key.TaskId, XcomKeys.ReturnValue, json));
            }

            result.Outcome = AttemptOutcome.Success;
            result.Xcoms = xcoms;
        }
        catch (TaskSkipException e)
        {
            result.Outcome = AttemptOutcome.Skipped;
            result.Error = e.Message;
            logger.LogInformation("Skipped: {Reason}", e.Message);
        }
        catch (TaskFailException e)
        {
            result.Outcome = AttemptOutcome.FailedNoRetry;
            result.Error = e.Message;
            logger.LogError(e.InnerException, "Failed without retry: {Reason}", e.Message);
        }
        catch (TaskRescheduleException e)
        {
            result.Outcome = AttemptOutcome.Rescheduled;
            result.RescheduleAt = e.RescheduleAt;
        }
        catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true && !seed.RunToken.IsCancellationRequested)
        {
            result.Outcome = AttemptOutcome.TimedOut;
            result.Error = new TaskTimeoutException(
                $"DAG '{key.DagId}', run '{key.RunId}', task '{key.TaskId}': try {key.TryNumber} exceeded its execution timeout of {task.ExecutionTimeout}.",
                key.DagId, key.RunId, key.TaskId).Message;
            logger.LogError("{Error}", result.Error);
            if (work is { IsCompleted: false })
            {
                engine.Logger.LogAbandoned(key.DagId, key.RunId, key.TaskId, key.TryNumber, task.ExecutionTimeout!.Value);
                // The abandoned work's own end (a value or an exception) is discarded.
                _ = work.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (seed.RunToken.IsCancellationRequested)
        {
            result.Outcome = AttemptOutcome.Interrupted;
            result.Error = "Interrupted: the executor is stopping or the run timed out.";
            logger.LogWarning("{Error}", result.Error);
        }
        catch (Exception e)
        {
            result.Outcome = AttemptOutcome.Failed;
            result.Error = $"{e.GetType().Name}: {e.Message}";
            logger.LogError(e, "Task failed");
        }
        finally
        {
            linked?.Dispose();
            timeout?.Dispose();
        }

        result.EndDate = engine.Time.GetUtcNow();
        result.Logs = logger.Drain();
        engine.Slots.Release(task.Pool, task.PoolSlots);
        engine.OnAttemptDone(result);
    }
}

/// <summary>What the engine fixes for an attempt before it starts.</summary>
internal sealed record TaskContextSeed(
    DagRunRecord Run,
    IReadOnlyDictionary<string, System.Text.Json.JsonElement> Params,
    int TryNumber,
    int MaxTries,
    int PokeNumber,
    DateTimeOffset? FirstStartDate,
    CancellationToken RunToken);
