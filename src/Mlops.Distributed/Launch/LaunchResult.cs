namespace Mlops.Distributed.Launch;

/// <summary>How a launch ended.</summary>
/// <param name="Succeeded">Whether every worker of the last attempt exited with 0.</param>
/// <param name="Attempts">The number of attempts made (1 + restarts).</param>
/// <param name="FailedRank">The root cause of the last attempt's failure, or null: the rank others' error files name as faulty (a stalled rank), else the first to fail.</param>
/// <param name="FailedExitCode">Its exit code when it failed by itself; for a rank that stalled, the exit code of the first worker that exited; 0 when none.</param>
/// <param name="FailedErrorTail">Its last error lines (those of the first worker that exited when it has none), or empty.</param>
public sealed record LaunchResult(bool Succeeded, int Attempts, int? FailedRank, int FailedExitCode, IReadOnlyList<string> FailedErrorTail)
{
    /// <summary>The exit code of a launch whose <see cref="LaunchOptions.Timeout"/> passed: 124, as <c>timeout(1)</c> uses.</summary>
    public const int TimeoutExitCode = 124;

    /// <summary>Why <see cref="FailedRank"/> is the cause when it is not simply the first worker that exited with an error (e.g. the rank others timed out waiting for), or null.</summary>
    public string? RootCause { get; init; }

    /// <summary>The error file that points at <see cref="FailedRank"/>: its own, or the report of a rank that names it as faulty; null when none was written.</summary>
    public WorkerError? FailedError { get; init; }

    /// <summary>Whether the job's <see cref="LaunchOptions.Timeout"/> passed and the launcher stopped its workers.</summary>
    public bool TimedOut { get; init; }

    /// <summary>The timeout that passed, when <see cref="TimedOut"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The launcher's exit code: 0 on success, <see cref="TimeoutExitCode"/> when the job timed out, else the failed
    /// worker's exit code (1 when it was 0 or unknown).
    /// </summary>
    public int ExitCode => Succeeded ? 0 : TimedOut ? TimeoutExitCode : FailedExitCode == 0 ? 1 : FailedExitCode;

    /// <summary>The summary printed when the launcher gives up: which rank failed first, its exit code and last error lines.</summary>
    /// <returns>The text.</returns>
    public string Summary() => Succeeded
        ? $"All workers succeeded after {Attempts} attempt(s)."
        : TimedOut
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The job's timeout of {Timeout.GetValueOrDefault().TotalSeconds:0.###} s passed in attempt {Attempts}; every worker was stopped.")
        : RootCause is not null
        ? $"Giving up after {Attempts} attempt(s): rank {FailedRank} is the root cause: {RootCause}. The last {FailedErrorTail.Count} error line(s):{System.Environment.NewLine}{string.Join(System.Environment.NewLine, FailedErrorTail.Select(l => "  " + l))}"
        : $"Giving up after {Attempts} attempt(s): rank {FailedRank} failed first with exit code {FailedExitCode}. Its last {FailedErrorTail.Count} error line(s):{System.Environment.NewLine}{string.Join(System.Environment.NewLine, FailedErrorTail.Select(l => "  " + l))}";
}
