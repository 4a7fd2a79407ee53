using System.Diagnostics;
using System.Globalization;

namespace Mlops.Distributed.Tests.Launch;

/// <summary>
/// The real tool with real workers: a signal to the launcher (or the job's timeout) stops every worker before the
/// launcher exits, instead of orphaning them. Waits are bounded; nothing asserts how long anything took.
/// </summary>
public sealed class LauncherSignalTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("mlops-launch-signal-").FullName;
    private readonly List<int> _workerPids = [];

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    [InlineData("INT", 130)]
    public async Task ASignalToTheLauncherStopsBothWorkersAndExitsWithItsCode(string signal, int expected)
    {
        using var launcher = StartLauncher([], "echo $$ > \"$PID_DIR/$RANK\"; exec sleep 600");
        await WaitForWorkersAsync(launcher);

        Signal(launcher.Process.Id, signal);

        var (exit, output) = await launcher.WaitAsync();
        Assert.True(exit == expected, $"exit {exit}: {output}");
        await AssertWorkersGoneAsync();
        Assert.Contains($"received SIG{signal}; workers stopped", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWorkerThatIgnoresSigtermIsKilledAfterTheGracePeriod()
    {
        // An ignored signal stays ignored across exec, so the sleep itself ignores SIGTERM.
        using var launcher = StartLauncher([], "trap '' TERM; echo $$ > \"$PID_DIR/$RANK\"; exec sleep 600");
        await WaitForWorkersAsync(launcher);

        Signal(launcher.Process.Id, "TERM");

        var (exit, output) = await launcher.WaitAsync();
        Assert.True(exit == 143, $"exit {exit}: {output}");
        await AssertWorkersGoneAsync();
    }

    [Fact]
    public async Task TheJobTimeoutStopsSleepingWorkersAndExitsWith124NamingIt()
    {
        using var launcher = StartLauncher(["--timeout", "3"], "echo $$ > \"$PID_DIR/$RANK\"; exec sleep 600");
        await WaitForWorkersAsync(launcher);

        var (exit, output) = await launcher.WaitAsync();
        Assert.True(exit == 124, $"exit {exit}: {output}");
        Assert.Contains("[launcher] The job's timeout of 3 s passed in attempt 1; every worker was stopped.", output, StringComparison.Ordinal);
        await AssertWorkersGoneAsync();
    }

    public void Dispose()
    {
        // Whatever a failed test left running does not outlive it.
        foreach (var pid in _workerPids.Where(IsAlive))
        {
            Signal(pid, "KILL");
        }

        Directory.Delete(_directory, recursive: true);
    }

    private Launcher StartLauncher(string[] options, string script)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Mlops.Distributed.Launcher.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["PID_DIR"] = _directory;
        foreach (var argument in new[] { path, "--nproc", "2", "--stop-grace-seconds", "1" }.Concat(options).Concat(["--", "/bin/bash", "-c", script]))
        {
            start.ArgumentList.Add(argument);
        }

        return new Launcher(Process.Start(start)!);
    }

    private async Task WaitForWorkersAsync(Launcher launcher)
    {
        using var timeout = new CancellationTokenSource(Bound);
        var files = new[] { "0", "1" }.Select(r => Path.Combine(_directory, r)).ToArray();
        while (!files.All(f => File.Exists(f) && File.ReadAllText(f).EndsWith('\n')))
        {
            Assert.False(launcher.Process.HasExited, "the launcher exited before both workers started");
            await Task.Delay(50, timeout.Token);
        }

        _workerPids.AddRange(files.Select(f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture)));
        Assert.All(_workerPids, pid => Assert.True(IsAlive(pid), $"worker {pid} is not running"));
    }

    private async Task AssertWorkersGoneAsync()
    {
        // The launcher has exited; its workers must be gone too (not left running as orphans).
        using var timeout = new CancellationTokenSource(Bound);
        while (_workerPids.Any(IsAlive) && !timeout.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        Assert.True(!_workerPids.Any(IsAlive), $"worker(s) {string.Join(", ", _workerPids.Where(IsAlive))} outlived the launcher");
    }

    private static bool IsAlive(int pid)
    {
        // A zombie (exited, not yet reaped by a container's init) counts as gone.
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        Assert.True(kill.WaitForExit(Bound), "kill did not return");
    }

    private sealed class Launcher(Process process) : IDisposable
    {
        private readonly Task<string> _output = process.StandardOutput.ReadToEndAsync();
        private readonly Task<string> _error = process.StandardError.ReadToEndAsync();

        public Process Process { get; } = process;

        public async Task<(int ExitCode, string Output)> WaitAsync()
        {
            using var timeout = new CancellationTokenSource(Bound);
            await Process.WaitForExitAsync(timeout.Token);
            return (Process.ExitCode, await _output.WaitAsync(timeout.Token) + await _error.WaitAsync(timeout.Token));
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }

            Process.Dispose();
        }
    }
}
