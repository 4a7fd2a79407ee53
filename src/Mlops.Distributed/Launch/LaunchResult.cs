namespace Mlops.Distributed.Launch;

/// <summary>How a launch ended.</summary>
/// <param name="Succeeded">Whether every worker of the last attempt exited with 0.</param>
/// <param name="Attempts">The number of attempts made (1 + restarts).</param>
/// <param name="FailedRank">The rank that failed first in the last attempt, or null.</param>
/// <param name="FailedExitCode">Its exit code, or 0.</param>
/// <param name="FailedErrorTail">Its last error lines, or empty.</param>
public sealed record LaunchResult(bool Succeeded, int Attempts, int? FailedRank, int FailedExitCode, IReadOnlyList<string> FailedErrorTail)
{
    /// <summary>The launcher's exit code: 0 on success, else the failed worker's exit code (1 when it was 0 or unknown).</summary>
    public int ExitCode => Succeeded ? 0 : FailedExitCode == 0 ? 1 : FailedExitCode;

    /// <summary>The summary printed when the launcher gives up: which rank failed first, its exit code and last error lines.</summary>
    /// <returns>The text.</returns>
    public string Summary() => Succeeded
        ? $"All workers succeeded after {Attempts} attempt(s)."
        : $"Giving up after {Attempts} attempt(s): rank {FailedRank} failed first with exit code {FailedExitCode}. Its last {FailedErrorTail.Count} error line(s):{System.Environment.NewLine}{string.Join(System.Environment.NewLine, FailedErrorTail.Select(l => "  " + l))}";
}
