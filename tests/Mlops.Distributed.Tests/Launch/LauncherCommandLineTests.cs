using System.Diagnostics;
using Mlops.Distributed.Tests.Collectives;
using Mlops.Distributed.Launcher;

namespace Mlops.Distributed.Tests.Launch;

public class LauncherCommandLineTests
{
    [Fact]
    public void ParsesOptionsAndTheCommandAfterTheSeparator()
    {
        var options = LauncherCommandLine.Parse(["--nproc", "4", "--max-restarts", "2", "--master-port", "29400", "--master-addr", "10.0.0.1", "--", "dotnet", "train.dll", "--epochs", "3"]);
        Assert.Equal((4, 2, 29400, "10.0.0.1", "dotnet"), (options.ProcessCount, options.MaxRestarts, options.MasterPort, options.MasterAddress, options.FileName));
        Assert.Equal(new[] { "train.dll", "--epochs", "3" }, options.Arguments);
    }

    [Fact]
    public void ParsesTheJobTimeoutAndTheGracePeriod()
    {
        var options = LauncherCommandLine.Parse(["--nproc", "2", "--timeout", "3600", "--grace-period", "30", "--", "x"]);
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromSeconds(30)), (options.Timeout!.Value, options.StopGracePeriod));
        Assert.Null(LauncherCommandLine.Parse(["--", "x"]).Timeout);
    }

    [Theory]
    [InlineData("--timeout 0 -- x", "--timeout '0' must be an integer of at least 1")]
    [InlineData("--nproc 2", "missing '-- <command>'")]
    [InlineData("--nproc 0 -- x", "--nproc '0' must be an integer of at least 1")]
    [InlineData("--nproc two -- x", "--nproc 'two' must be an integer")]
    [InlineData("--color red -- x", "unknown option --color")]
    [InlineData("--nproc -- x", "option --nproc needs a value")]
    public void BadArgumentsSayWhy(string arguments, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => LauncherCommandLine.Parse(arguments.Split(' ')));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheToolRunsAJobEndToEnd()
    {
        var launcher = Path.Combine(AppContext.BaseDirectory, "Mlops.Distributed.Launcher.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { launcher, "--nproc", "2", "--max-restarts", "1", "--", "dotnet", WorkerProcesses.WorkerPath, "crash-once" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var outputTask = process.StandardOutput.ReadToEndAsync();
        var errorTask = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string output, error;
        try
        {
            // Bounds the exit and the end of both outputs.
            await process.WaitForExitAsync(timeout.Token);
            (output, error) = (await outputTask.WaitAsync(timeout.Token), await errorTask.WaitAsync(timeout.Token));
        }
        finally
        {
            // A launcher that did not finish must not outlive the test with its workers.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output}{error}");
        Assert.Contains("[rank 1] OK rank 1", output, StringComparison.Ordinal);
        Assert.Contains("restarting all 2 workers", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheToolSaysWhichPortIsTakenInsteadOfStartingWorkers()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var launcher = Path.Combine(AppContext.BaseDirectory, "Mlops.Distributed.Launcher.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { launcher, "--nproc", "2", "--master-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", "/bin/echo", "started" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var outputTask = process.StandardOutput.ReadToEndAsync();
        var errorTask = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var (output, error) = (await outputTask.WaitAsync(timeout.Token), await errorTask.WaitAsync(timeout.Token));
        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"mlops-launch: The rendezvous store could not listen on 127.0.0.1:{port}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("started", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
