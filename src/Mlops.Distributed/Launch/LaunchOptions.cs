namespace Mlops.Distributed.Launch;

/// <summary>What <see cref="LocalLauncher"/> starts: N copies of a command, with the cluster variables set.</summary>
public sealed class LaunchOptions
{
    /// <summary>The executable to start (for a .NET program, <c>dotnet</c> with the dll as first argument, or the apphost).</summary>
    public required string FileName { get; init; }

    /// <summary>The command's arguments.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The number of worker processes (the world size). At least 1.</summary>
    public int ProcessCount { get; init; } = 1;

    /// <summary>How many times the whole job is restarted after a worker fails. Default 0.</summary>
    public int MaxRestarts { get; init; }

    /// <summary>The port of the rendezvous store, which the launcher hosts for each attempt; 0 (default) lets the system pick a free one.</summary>
    public int MasterPort { get; init; }

    /// <summary>The address the workers use to reach the launcher's rendezvous store (which it listens on). Default <c>127.0.0.1</c>.</summary>
    public string MasterAddress { get; init; } = "127.0.0.1";

    /// <summary>
    /// How long workers get to exit after SIGTERM before their process trees are killed: the others once one failed, all
    /// of them when the launch is cancelled (the launcher got a signal) or <see cref="Timeout"/> passed. Default 5 s.
    /// </summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When a worker fails blaming a rank that is still running (it timed out waiting for it), how long the other
    /// running workers get to fail and write their own error files before they are stopped, so that a chain of waits
    /// (rank 0 waited for 2, which waited for 1) reaches the rank that stalled. Workers in the same collective time
    /// out within moments of each other; the wait ends as soon as only the suspect is left. Default 10 s.
    /// </summary>
    public TimeSpan FaultReportWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the whole job may run, restarts included (a restart does not extend it); when it passes the workers are
    /// stopped as on cancellation and the result says <see cref="LaunchResult.TimedOut"/>. Null (default): no limit.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How many of the failed worker's last error lines the summary shows. Default 20.</summary>
    public int ErrorTailLines { get; init; } = 20;

    /// <summary>Extra environment variables for every worker.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The working directory of the workers; the current one when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Options that start copies of the running program with <paramref name="arguments"/>: its apphost, or under
    /// <c>dotnet app.dll</c> the dotnet host with the app's dll first. For programs that launch their own workers.
    /// </summary>
    /// <param name="arguments">The workers' arguments (after the dll, if any).</param>
    /// <param name="processCount">The number of workers.</param>
    /// <param name="maxRestarts">How many times the whole job is restarted after a worker fails.</param>
    /// <returns>The options, with defaults for everything else.</returns>
    public static LaunchOptions ForCurrentProgram(IEnumerable<string> arguments, int processCount, int maxRestarts = 0)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var host = System.Environment.ProcessPath ?? "dotnet";
        var underDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet";
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        return new LaunchOptions
        {
            FileName = host,
            Arguments = underDotnet && !string.IsNullOrEmpty(entry) ? [entry, .. arguments] : [.. arguments],
            ProcessCount = processCount,
            MaxRestarts = maxRestarts,
        };
    }
}
