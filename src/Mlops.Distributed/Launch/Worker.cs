using System.Diagnostics;

namespace Mlops.Distributed.Launch;

/// <summary>One worker process of a launch: its output streams, the tail of its error output and when it exited.</summary>
internal sealed class Worker
{
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _errorTail = new();
    private readonly int _tailLines;

    public Worker(int rank, Process process, int tailLines)
    {
        Rank = rank;
        Process = process;
        _tailLines = tailLines;
    }

    public int Rank { get; }

    public Process Process { get; }

    public long ExitedAt { get; private set; } = long.MaxValue;

    /// <summary>When the launcher saw the exit, by the wall clock error files are stamped with.</summary>
    public DateTimeOffset ExitedAtUtc { get; private set; } = DateTimeOffset.MaxValue;

    public Task Exited => _exited.Task;

    public Task OutputDone => Task.WhenAll(_outputDone.Task, _errorDone.Task);

    public void MarkExited()
    {
        ExitedAt = Stopwatch.GetTimestamp();
        ExitedAtUtc = DateTimeOffset.UtcNow;
        _exited.TrySetResult();
    }

    public void OnLine(string? line, bool error, Action<string> write)
    {
        if (line is null)
        {
            (error ? _errorDone : _outputDone).TrySetResult();
            return;
        }

        if (error)
        {
            lock (_errorTail)
            {
                _errorTail.Enqueue(line);
                if (_errorTail.Count > _tailLines)
                {
                    _errorTail.Dequeue();
                }
            }
        }

        write($"[rank {Rank}{(error ? " err" : string.Empty)}] {line}");
    }

    public IReadOnlyList<string> ErrorTail()
    {
        lock (_errorTail)
        {
            return [.. _errorTail];
        }
    }
}
