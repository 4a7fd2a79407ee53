namespace Mlops.Pipelines;

/// <summary>
/// What a task does (Airflow's operator). Derive from it for custom task kinds; the built-in ones run delegates
/// (<see cref="DagBuilder.Task(string, Action{TaskContext}, Action{TaskArguments}?)"/>), external processes
/// (<see cref="ProcessOperator"/>) and sensors (<see cref="SensorOperator"/>).
/// </summary>
public abstract class TaskOperator
{
    /// <summary>Creates the operator.</summary>
    protected TaskOperator()
    {
    }

    /// <summary>A short name of the kind of task, shown in views ("delegate", "process", "sensor").</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Runs one attempt. Throw <see cref="TaskSkipException"/> to skip, <see cref="TaskFailException"/> to fail
    /// without retry; any other exception fails the attempt, which is retried per the task's policy.
    /// </summary>
    /// <param name="context">The attempt's context: dates, params, logger, cancellation and XCom values.</param>
    /// <returns>A value for other tasks (the XCom <c>return_value</c>), or null.</returns>
    public abstract Task<object?> ExecuteAsync(TaskContext context);
}

/// <summary>Runs a delegate on the thread pool.</summary>
public sealed class DelegateOperator : TaskOperator
{
    private readonly Func<TaskContext, Task<object?>> _run;

    private DelegateOperator(Func<TaskContext, Task<object?>> run)
    {
        _run = run;
    }

    /// <inheritdoc/>
    public override string Kind => "delegate";

    /// <summary>Wraps a synchronous action.</summary>
    public static DelegateOperator From(Action<TaskContext> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return new DelegateOperator(ctx =>
        {
            action(ctx);
            return Task.FromResult<object?>(null);
        });
    }

    /// <summary>Wraps a synchronous function whose result is the task's return value.</summary>
    public static DelegateOperator From<T>(Func<TaskContext, T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new DelegateOperator(ctx => Task.FromResult<object?>(function(ctx)));
    }

    /// <summary>Wraps an asynchronous function.</summary>
    public static DelegateOperator From(Func<TaskContext, Task> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new DelegateOperator(async ctx =>
        {
            await function(ctx).ConfigureAwait(false);
            return null;
        });
    }

    /// <summary>Wraps an asynchronous function whose result is the task's return value.</summary>
    public static DelegateOperator From<T>(Func<TaskContext, Task<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new DelegateOperator(async ctx => await function(ctx).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public override Task<object?> ExecuteAsync(TaskContext context) => _run(context);
}
