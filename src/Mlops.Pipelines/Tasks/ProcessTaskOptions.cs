namespace Mlops.Pipelines;

/// <summary>An external process run by a task (Airflow's BashOperator, without a shell unless you start one).</summary>
public sealed class ProcessTaskOptions
{
    /// <summary>The program to start (a path, or a name found on PATH).</summary>
    public required string FileName { get; init; }

    /// <summary>Arguments, each passed as one argument (no shell quoting involved).</summary>
    public IList<string> Arguments { get; init; } = [];

    /// <summary>Variables added to (or, with a null value, removed from) the inherited environment.</summary>
    public IDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>The working directory; the current directory when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Exit codes that mean success; { 0 } by default.</summary>
    public ISet<int> SuccessExitCodes { get; init; } = new HashSet<int> { 0 };

    /// <summary>An exit code that means "skip this task"; 99 by default, as in Airflow's BashOperator; null to treat it as a failure.</summary>
    public int? SkipExitCode { get; init; } = 99;

    /// <summary>
    /// Whether the last non-empty line of standard output becomes the task's return value; true by default, as
    /// Airflow's <c>do_xcom_push</c>. A last line over the XCom limit (<c>ExecutorOptions.MaxXcomBytes</c>, as JSON)
    /// is not pushed: the task still succeeds, without a return value, and its log says why. Output lines longer
    /// than that limit are logged cut to it, so a process's output costs bounded memory however long its lines.
    /// </summary>
    public bool PushLastLine { get; init; } = true;

    /// <summary>How long to wait, after the process is killed on timeout or cancellation, for it to exit; 10 seconds by default.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
