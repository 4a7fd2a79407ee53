namespace Mlops.Pipelines;

/// <summary>The base of the exceptions Mlops.Pipelines throws on purpose; names the DAG, run and task at fault when known.</summary>
public class PipelineException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do about it.</param>
    /// <param name="dagId">The DAG at fault, if known.</param>
    /// <param name="runId">The DAG run at fault, if known.</param>
    /// <param name="taskId">The task at fault, if known.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PipelineException(string message, string? dagId = null, string? runId = null, string? taskId = null, Exception? innerException = null)
        : base(message, innerException)
    {
        DagId = dagId;
        RunId = runId;
        TaskId = taskId;
    }

    /// <summary>The DAG at fault, if known.</summary>
    public string? DagId { get; }

    /// <summary>The DAG run at fault, if known.</summary>
    public string? RunId { get; }

    /// <summary>The task at fault, if known.</summary>
    public string? TaskId { get; }
}

/// <summary>A DAG definition is invalid: a bad id, a duplicate or unknown task id, an invalid argument, or a cycle.</summary>
public class DagValidationException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    public DagValidationException(string message, string dagId, string? taskId = null)
        : base(message, dagId, null, taskId)
    {
    }
}

/// <summary>The dependencies of a DAG form a cycle; <see cref="Cycle"/> lists the tasks on it in dependency order.</summary>
public sealed class DagCycleException : DagValidationException
{
    /// <summary>Creates the exception.</summary>
    public DagCycleException(string message, string dagId, IReadOnlyList<string> cycle)
        : base(message, dagId, cycle.Count > 0 ? cycle[0] : null)
    {
        Cycle = cycle;
    }

    /// <summary>The tasks on the cycle, each upstream of the next, the last upstream of the first.</summary>
    public IReadOnlyList<string> Cycle { get; }
}

/// <summary>No DAG run with the given id exists, or no DAG with the given id is registered.</summary>
public sealed class DagRunNotFoundException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    public DagRunNotFoundException(string message, string dagId, string? runId = null)
        : base(message, dagId, runId)
    {
    }
}

/// <summary>A DAG run with the same run id or logical date already exists.</summary>
public sealed class DagRunAlreadyExistsException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    public DagRunAlreadyExistsException(string message, string dagId, string runId)
        : base(message, dagId, runId)
    {
    }
}

/// <summary>Another live executor process is already running this DAG run.</summary>
public sealed class DagRunOwnedException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    public DagRunOwnedException(string message, string dagId, string runId, string owner)
        : base(message, dagId, runId)
    {
        Owner = owner;
    }

    /// <summary>The executor that holds the run (host and process id).</summary>
    public string Owner { get; }
}

/// <summary>A value passed between tasks is larger than <c>ExecutorOptions.MaxXcomBytes</c> or cannot be read as the requested type.</summary>
public sealed class XcomException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    public XcomException(string message, string dagId, string runId, string taskId, Exception? innerException = null)
        : base(message, dagId, runId, taskId, innerException)
    {
    }
}

/// <summary>
/// <see cref="TaskContext.Pull{T}(string, string)"/> found no value: the task pushed nothing under the key in this
/// run (it has not succeeded, was skipped, or returned null). Use <see cref="TaskContext.TryPull{T}(string, out T, string)"/>
/// for a value that may be absent, as Airflow's <c>xcom_pull</c> returns None.
/// </summary>
public sealed class XcomNotFoundException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    public XcomNotFoundException(string message, string dagId, string runId, string taskId, string fromTaskId, string key)
        : base(message, dagId, runId, taskId)
    {
        FromTaskId = fromTaskId;
        Key = key;
    }

    /// <summary>The task the value was pulled from.</summary>
    public string FromTaskId { get; }

    /// <summary>The key that holds no value.</summary>
    public string Key { get; }
}

/// <summary>A task attempt ran longer than its execution timeout; the attempt failed and is retried per its policy.</summary>
public sealed class TaskTimeoutException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    public TaskTimeoutException(string message, string dagId, string runId, string taskId)
        : base(message, dagId, runId, taskId)
    {
    }
}
