using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

/// <summary>The logger of one attempt: keeps its lines (up to a limit) to be stored with the attempt, and forwards them to the host's logger.</summary>
internal sealed class AttemptLogger(TaskAttemptKey key, ILogger host, TimeProvider time, int maxLines) : ILogger
{
    private readonly Lock _lock = new();
    private List<TaskLogEntry>? _entries;
    private int _dropped;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => host.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel == LogLevel.None)
        {
            return;
        }

        host.Log(logLevel, eventId, state, exception, formatter);
        var message = formatter(state, exception);
        if (exception is not null)
        {
            message = $"{message}{Environment.NewLine}{exception}";
        }

        lock (_lock)
        {
            _entries ??= [];
            if (_entries.Count >= maxLines)
            {
                _dropped++;
                return;
            }

            _entries.Add(Entry(_entries.Count, logLevel, message));
        }
    }

    /// <summary>The lines logged so far, with a closing line counting the dropped ones.</summary>
    public List<TaskLogEntry>? Drain()
    {
        lock (_lock)
        {
            if (_dropped > 0 && _entries is not null)
            {
                _entries.Add(Entry(_entries.Count, LogLevel.Warning, $"{_dropped:N0} more log lines were dropped (ExecutorOptions.MaxLogLinesPerAttempt = {maxLines:N0})."));
                _dropped = 0;
            }

            var entries = _entries;
            _entries = null;
            return entries;
        }
    }

    private TaskLogEntry Entry(int sequence, LogLevel level, string message) => new()
    {
        DagId = key.DagId,
        RunId = key.RunId,
        TaskId = key.TaskId,
        TryNumber = key.TryNumber,
        Sequence = sequence,
        Timestamp = time.GetUtcNow(),
        Level = level,
        Message = message,
    };
}

/// <summary>Identifies one attempt.</summary>
internal readonly record struct TaskAttemptKey(string DagId, string RunId, string TaskId, int TryNumber);
