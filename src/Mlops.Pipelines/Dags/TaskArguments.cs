using System.Text.RegularExpressions;

namespace Mlops.Pipelines;

/// <summary>
/// The arguments of a task (Airflow's operator arguments and <c>default_args</c>): owner, retries, retry delay and
/// backoff, execution timeout, depends-on-past, trigger rule, pool and priority. A DAG's defaults are copied into
/// each task, which may change them; they are validated when the DAG is built.
/// </summary>
public sealed class TaskArguments
{
    /// <summary>The pool every task uses unless it names another: <c>default_pool</c>.</summary>
    public const string DefaultPool = "default_pool";

    /// <summary>Who owns the task (shown in views); "mlops" by default.</summary>
    public string Owner { get; set; } = "mlops";

    /// <summary>How many times a failed attempt is retried; 0 by default.</summary>
    public int Retries { get; set; }

    /// <summary>The wait before a retry; 5 minutes by default, as in Airflow.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Doubles the retry delay at each retry, as Airflow does: after failed try k (1-based) the wait is a whole
    /// number of seconds from <c>m = max(1, ceil(RetryDelay * 2^(k-1)))</c> to <c>2m - 1</c> (a deterministic
    /// jitter per task, run and try), capped at 24 hours and at <see cref="MaxRetryDelay"/>; see <see cref="RetryBackoff.Delay"/>.
    /// </summary>
    public bool RetryExponentialBackoff { get; set; }

    /// <summary>The longest retry delay when backing off exponentially; 24 hours by default.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest an attempt may run; an attempt that runs longer fails with <see cref="TaskTimeoutException"/> and is retried per the policy. Null (the default) for no limit.</summary>
    public TimeSpan? ExecutionTimeout { get; set; }

    /// <summary>Runs only when the same task succeeded or was skipped in the DAG's previous run (by logical date).</summary>
    public bool DependsOnPast { get; set; }

    /// <summary>When the task runs given its upstream states; <see cref="TriggerRule.AllSuccess"/> by default.</summary>
    public TriggerRule TriggerRule { get; set; } = TriggerRule.AllSuccess;

    /// <summary>The pool whose slots the task uses while it runs; <see cref="DefaultPool"/> by default.</summary>
    public string Pool { get; set; } = DefaultPool;

    /// <summary>How many slots of its pool the task uses while it runs; 1 by default.</summary>
    public int PoolSlots { get; set; } = 1;

    /// <summary>Among ready tasks waiting for slots, higher weights start first; 1 by default.</summary>
    public int PriorityWeight { get; set; } = 1;

    /// <summary>Returns an independent copy.</summary>
    public TaskArguments Clone() => (TaskArguments)MemberwiseClone();

    internal void Validate(string dagId, string taskId)
    {
        string? problem =
            string.IsNullOrWhiteSpace(Owner) ? "Owner must not be empty"
            : Retries < 0 ? $"Retries must be 0 or more; got {Retries}"
            : RetryDelay < TimeSpan.Zero ? $"RetryDelay must not be negative; got {RetryDelay}"
            : MaxRetryDelay < TimeSpan.Zero ? $"MaxRetryDelay must not be negative; got {MaxRetryDelay}"
            : ExecutionTimeout is { } t && t <= TimeSpan.Zero ? $"ExecutionTimeout must be positive; got {t}"
            : !Enum.IsDefined(TriggerRule) ? $"TriggerRule {(int)TriggerRule} is not a trigger rule"
            : string.IsNullOrWhiteSpace(Pool) ? "Pool must not be empty"
            : PoolSlots < 1 ? $"PoolSlots must be 1 or more; got {PoolSlots}"
            : null;
        if (problem is not null)
        {
            throw new DagValidationException($"DAG '{dagId}', task '{taskId}': {problem}.", dagId, taskId);
        }
    }
}

/// <summary>Validates DAG, task and group ids the way Airflow does: letters, digits, '-', '_' and '.', at most 250 characters.</summary>
internal static partial class PipelineIds
{
    public static void ValidateDagId(string dagId)
    {
        ArgumentNullException.ThrowIfNull(dagId);
        if (!IsValid(dagId))
        {
            throw new DagValidationException($"DAG id '{dagId}' is invalid: use 1 to 250 letters, digits, '-', '_' or '.'.", dagId);
        }
    }

    public static void ValidateTaskId(string dagId, string taskId, string what = "task")
    {
        ArgumentNullException.ThrowIfNull(taskId);
        if (!IsValid(taskId))
        {
            throw new DagValidationException($"DAG '{dagId}': {what} id '{taskId}' is invalid: use 1 to 250 letters, digits, '-', '_' or '.'.", dagId, taskId);
        }
    }

    private static bool IsValid(string id) => id.Length is > 0 and <= 250 && IdPattern().IsMatch(id);

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex IdPattern();
}
