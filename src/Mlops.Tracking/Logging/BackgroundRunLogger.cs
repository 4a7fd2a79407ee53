namespace Mlops.Tracking.Logging;

/// <summary>
/// The asynchronous logging of one run (<see cref="ActiveRun.Background"/>): calls return at once and the values are
/// stored in batches; ending the run flushes them, and a failure to store them fails the run's end.
/// </summary>
public sealed class BackgroundRunLogger
{
    private readonly AsyncTrackingLogger _logger;
    private readonly string _runId;

    internal BackgroundRunLogger(AsyncTrackingLogger logger, string runId)
    {
        _logger = logger;
        _runId = runId;
    }

    /// <summary>The queue behind this logger.</summary>
    public AsyncTrackingLogger Queue => _logger;

    /// <summary>Queues one metric value.</summary>
    public void LogMetric(string key, double value, long? step = null, long? timestamp = null) => _logger.LogMetric(_runId, key, value, step, timestamp);

    /// <summary>Queues a param.</summary>
    public void LogParam(string key, object? value) => _logger.LogParam(_runId, key, value);

    /// <summary>Queues a tag.</summary>
    public void SetTag(string key, string value) => _logger.SetTag(_runId, key, value);

    /// <summary>Waits until everything queued is stored.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _logger.FlushAsync(cancellationToken);
}
