namespace Mlops.Distributed.Launch;

/// <summary>How a launch ended.</summary>
/// <param name="Succeeded">Whether every worker of the last attempt exited with 0.</param>
/// <param name="Attempts">The number of attempts made (1 + restarts).</param>
/// <param name="FailedRank">The rank that failed first in the last attempt, or null.</param>
/// <param name="FailedExitCode">Its exit code, or 0.</param>
/// <param name="FailedErrorTail">Its last error lines, or empty.</param>
public sealed record LaunchResult(bool Succeeded, int Attempts, int? FailedRank, int FailedExitCode, IReadOnlyList<string> FailedErrorTail)
{
    /// <summary>The exit code of a launch whose <see cref="LaunchOptions.Timeout"/> passed: 124, as <c>timeout(1)</c> uses.</summary>
    public const int TimeoutExitCode = 124;

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
        : $"Giving up after {Attempts} attempt(s): rank {FailedRank} failed first with exit code {FailedExitCode}. Its last {FailedErrorTail.Count} error line(s):{System.Environment.NewLine}{string.Join(System.Environment.NewLine, FailedErrorTail.Select(l => "  " + l))}";
}
