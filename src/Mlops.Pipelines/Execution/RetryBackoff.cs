using System.Text;

namespace Mlops.Pipelines;

/// <summary>Retry delays as Airflow computes them.</summary>
public static class RetryBackoff
{
    // The most a backoff delay can be before DagTask.MaxRetryDelay applies, as Airflow's MAX_RETRY_DELAY.
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(24);

    /// <summary>
    /// The wait after try <paramref name="failedTry"/> failed, as Airflow's <c>TaskInstance.next_retry_datetime</c>:
    /// <see cref="DagTask.RetryDelay"/> as is, or with exponential backoff a whole number of seconds,
    /// <c>min + hash % min</c> where <c>min = max(1, ceil(RetryDelay * 2^(failedTry-1)))</c> seconds, so between
    /// <c>min</c> and <c>2 * min - 1</c> seconds; the hash is derived from the DAG, task, run and try so that the delay is
    /// the same after a restart. The result is capped at 24 hours (Airflow's <c>MAX_RETRY_DELAY</c>), then at <see cref="DagTask.MaxRetryDelay"/>.
    /// </summary>
    /// <param name="task">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="failedTry">The try that failed, from 1.</param>
    /// <returns>The delay before the next try.</returns>
    public static TimeSpan Delay(DagTask task, string runId, int failedTry)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!task.RetryExponentialBackoff)
        {
            return task.RetryDelay;
        }

        // Whole seconds, rounded up, and at least 1: Airflow's hash modulus must not be 0.
        var exponent = Math.Clamp(failedTry - 1, 0, 62);
        var minimum = Math.Max(1, Math.Ceiling(task.RetryDelay.TotalSeconds * Math.Pow(2, exponent)));
        var cap = Math.Min(MaxBackoff.TotalSeconds, task.MaxRetryDelay.TotalSeconds);
        if (minimum >= cap)
        {
            return TimeSpan.FromSeconds(cap);
        }

        var minSeconds = (long)minimum;
        var seconds = minSeconds + (long)(Fnv1a($"{task.Dag.DagId}#{task.TaskId}#{runId}#{failedTry}") % (ulong)minSeconds);
        return TimeSpan.FromSeconds(Math.Min(seconds, cap));
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
