using System.Text;

namespace Mlops.Pipelines;

/// <summary>Retry delays as Airflow computes them.</summary>
public static class RetryBackoff
{
    /// <summary>
    /// The wait after try <paramref name="failedTry"/> failed: <see cref="DagTask.RetryDelay"/>, or with exponential
    /// backoff <c>RetryDelay * 2^(failedTry-1)</c> plus a jitter below that amount, derived from the DAG, task, run and
    /// try so that it is the same after a restart, capped at <see cref="DagTask.MaxRetryDelay"/>.
    /// </summary>
    /// <param name="task">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="failedTry">The try that failed, from 1.</param>
    /// <returns>The delay before the next try.</returns>
    public static TimeSpan Delay(DagTask task, string runId, int failedTry)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!task.RetryExponentialBackoff || task.RetryDelay <= TimeSpan.Zero)
        {
            return task.RetryDelay;
        }

        var exponent = Math.Clamp(failedTry - 1, 0, 40);
        var minimum = task.RetryDelay.Ticks * Math.Pow(2, exponent);
        if (minimum >= task.MaxRetryDelay.Ticks)
        {
            return task.MaxRetryDelay;
        }

        var minTicks = (long)minimum;
        var jitter = (long)(Fnv1a($"{task.Dag.DagId}#{task.TaskId}#{runId}#{failedTry}") % (ulong)minTicks);
        return TimeSpan.FromTicks(Math.Min(minTicks + jitter, task.MaxRetryDelay.Ticks));
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
