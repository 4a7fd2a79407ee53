using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

/// <summary>The log messages of the executor and scheduler (source-generated, no allocation when the level is off).</summary>
internal static partial class PipelineLog
{
    [LoggerMessage(1, LogLevel.Information, "DAG '{DagId}' run '{RunId}' started ({TaskCount} tasks)")]
    public static partial void LogRunStarted(this ILogger logger, string dagId, string runId, int taskCount);

    [LoggerMessage(2, LogLevel.Information, "DAG '{DagId}' run '{RunId}' ended {State} in {Duration}{Note}")]
    public static partial void LogRunEnded(this ILogger logger, string dagId, string runId, DagRunState state, TimeSpan? duration, string note);

    [LoggerMessage(3, LogLevel.Debug, "DAG '{DagId}' run '{RunId}' task '{TaskId}' try {TryNumber} started")]
    public static partial void LogAttemptStarted(this ILogger logger, string dagId, string runId, string taskId, int tryNumber);

    [LoggerMessage(4, LogLevel.Warning, "DAG '{DagId}' run '{RunId}' task '{TaskId}' try {TryNumber}/{MaxTries} failed, retrying at {RetryAt:O}: {Error}")]
    public static partial void LogAttemptRetry(this ILogger logger, string dagId, string runId, string taskId, int tryNumber, int maxTries, DateTimeOffset retryAt, string? error);

    [LoggerMessage(5, LogLevel.Error, "DAG '{DagId}' run '{RunId}' task '{TaskId}' failed on try {TryNumber}: {Error}")]
    public static partial void LogTaskFailed(this ILogger logger, string dagId, string runId, string taskId, int tryNumber, string? error);

    [LoggerMessage(6, LogLevel.Warning, "DAG '{DagId}' run '{RunId}' task '{TaskId}' was running try {TryNumber} when its executor '{Owner}' stopped; the try counts as failed")]
    public static partial void LogZombie(this ILogger logger, string dagId, string runId, string taskId, int tryNumber, string? owner);

    [LoggerMessage(7, LogLevel.Warning, "DAG '{DagId}' run '{RunId}' task '{TaskId}' try {TryNumber} exceeded its execution timeout of {Timeout}; its work did not stop on cancellation and is abandoned")]
    public static partial void LogAbandoned(this ILogger logger, string dagId, string runId, string taskId, int tryNumber, TimeSpan timeout);

    [LoggerMessage(8, LogLevel.Information, "Sensor condition met on poke {PokeNumber}")]
    public static partial void LogSensorMet(this ILogger logger, int pokeNumber);

    [LoggerMessage(9, LogLevel.Information, "Sensor condition not met on poke {PokeNumber}; next poke at {NextPoke:O}")]
    public static partial void LogSensorNotMet(this ILogger logger, int pokeNumber, DateTimeOffset nextPoke);

    [LoggerMessage(10, LogLevel.Information, "DAG '{DagId}': created run '{RunId}' for {Interval}")]
    public static partial void LogRunCreated(this ILogger logger, string dagId, string runId, DataInterval interval);

    [LoggerMessage(11, LogLevel.Error, "DAG '{DagId}' run '{RunId}' stopped with an error; it resumes when executed again")]
    public static partial void LogRunCrashed(this ILogger logger, Exception exception, string dagId, string runId);

    [LoggerMessage(12, LogLevel.Information, "Resuming DAG '{DagId}' run '{RunId}' left unfinished by executor '{Owner}'")]
    public static partial void LogResuming(this ILogger logger, string dagId, string runId, string? owner);

    [LoggerMessage(13, LogLevel.Error, "Scheduler pass failed; retrying at the next wake-up")]
    public static partial void LogSchedulerError(this ILogger logger, Exception exception);
}
