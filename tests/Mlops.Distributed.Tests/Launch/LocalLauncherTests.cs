using Mlops.Distributed.Launch;
using Mlops.Distributed.Tests.Collectives;

namespace Mlops.Distributed.Tests.Launch;

public class LocalLauncherTests
{
    // A launch that does not end by then fails the test; cancelling stops every worker, so none outlives it.
    private static readonly TimeSpan TestDeadline = TimeSpan.FromSeconds(120);

    private static LaunchOptions Options(string mode, int restarts) => new()
    {
        FileName = "dotnet",
        Arguments = [WorkerProcesses.WorkerPath, mode],
        ProcessCount = 2,
        MaxRestarts = restarts,
        StopGracePeriod = TimeSpan.FromSeconds(2),
        Environment = new Dictionary<string, string> { ["MLOPS_TEST_TIMEOUT_MS"] = "5000" },
    };

    [Fact]
    public async Task AWorkerThatCrashesOnceIsRestartedAndTheJobCompletes()
    {
        var output = new StringWriter();
        using var deadline = new CancellationTokenSource(TestDeadline);
        var result = await new LocalLauncher(Options("crash-once", restarts: 2), output).RunAsync(deadline.Token);
        var text = output.ToString();
        Assert.True(result.Succeeded, text);
        Assert.Equal(2, result.Attempts);
        Assert.Contains("[rank 1 err] simulated crash in generation 0", text, StringComparison.Ordinal);
        Assert.Contains("[launcher] rank 1 failed with exit code 3; restarting all 2 workers (restart 1 of 2, generation 1)", text, StringComparison.Ordinal);
        Assert.Contains("[rank 0] sum 1 generation 1", text, StringComparison.Ordinal);
        Assert.Contains("[rank 1] OK rank 1", text, StringComparison.Ordinal);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task AWorkerThatAlwaysCrashesExhaustsTheRestartsWithASummary()
    {
        var output = new StringWriter();
        var options = Options("always-crash", restarts: 1);
        using var deadline = new CancellationTokenSource(TestDeadline);
        var result = await new LocalLauncher(new LaunchOptions
        {
            FileName = options.FileName,
            Arguments = options.Arguments,
            ProcessCount = 3,
            MaxRestarts = 1,
            StopGracePeriod = options.StopGracePeriod,
            Environment = options.Environment,
            ErrorTailLines = 5,
        }, output).RunAsync(deadline.Token);
        var text = output.ToString();
        Assert.False(result.Succeeded, text);
        Assert.Equal((2, 1, 7, 7), (result.Attempts, result.FailedRank!.Value, result.FailedExitCode, result.ExitCode));
        Assert.Equal(Enumerable.Range(26, 5).Select(i => $"failure detail line {i}"), result.FailedErrorTail);
        Assert.Contains("[launcher] Giving up after 2 attempt(s): rank 1 failed first with exit code 7. Its last 5 error line(s):", text, StringComparison.Ordinal);
        Assert.Contains("  failure detail line 30", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLauncherHostsTheStoreOnAPortItHoldsBeforeAnyWorkerStarts()
    {
        using var deadline = new CancellationTokenSource(TestDeadline);
        var output = new StringWriter();

        // These workers host nothing, yet the port they are given accepts connections: the launcher's store is on it.
        var probe = "(exec 3<>/dev/tcp/127.0.0.1/$MASTER_PORT) 2>/dev/null && echo listening || echo closed; echo agent=$TORCHELASTIC_USE_AGENT_STORE";
        var result = await new LocalLauncher(new LaunchOptions { FileName = "/bin/bash", Arguments = ["-c", probe], ProcessCount = 2 }, output).RunAsync(deadline.Token);
        Assert.True(result.Succeeded, output.ToString());
        Assert.Contains("[rank 0] listening", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("[rank 1] agent=True", output.ToString(), StringComparison.Ordinal);

        // An explicit port that another process holds fails at once, naming it, before any worker starts.
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var error = await Assert.ThrowsAsync<Mlops.Distributed.Rendezvous.RendezvousException>(
            () => new LocalLauncher(new LaunchOptions { FileName = "/bin/sh", Arguments = ["-c", "echo started"], ProcessCount = 2, MasterPort = port }, output).RunAsync(deadline.Token));
        Assert.Contains($"could not listen on 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("started", output.ToString().Split("agent=True")[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkersGetTheirShareOfTheCoresAsOpenMpThreadsUnlessTheUserChose()
    {
        using var deadline = new CancellationTokenSource(TestDeadline);
        var shared = new StringWriter();
        var result = await new LocalLauncher(new LaunchOptions { FileName = "/bin/sh", Arguments = ["-c", "echo omp=$OMP_NUM_THREADS"], ProcessCount = 2 }, shared).RunAsync(deadline.Token);
        Assert.True(result.Succeeded, shared.ToString());
        Assert.Contains($"[rank 1] omp={Math.Max(1, Environment.ProcessorCount / 2)}", shared.ToString(), StringComparison.Ordinal);

        var chosen = new StringWriter();
        result = await new LocalLauncher(
            new LaunchOptions
            {
                FileName = "/bin/sh",
                Arguments = ["-c", "echo omp=$OMP_NUM_THREADS"],
                ProcessCount = 2,
                Environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "7" },
            },
            chosen).RunAsync(deadline.Token);
        Assert.True(result.Succeeded, chosen.ToString());
        Assert.Contains("[rank 0] omp=7", chosen.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsForTheCurrentProgramStartItsHostWithItsEntryAssemblyWhenRunUnderDotnet()
    {
        var options = LaunchOptions.ForCurrentProgram(["worker", "--x", "1"], processCount: 3, maxRestarts: 2);
        Assert.Equal(Environment.ProcessPath, options.FileName);
        Assert.Equal(["worker", "--x", "1"], options.Arguments.TakeLast(3));
        var underDotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet";
        Assert.Equal(underDotnet ? 4 : 3, options.Arguments.Count);
        Assert.Equal((3, 2), (options.ProcessCount, options.MaxRestarts));
    }

    [Fact]
    public async Task TheJobTimeoutCoversRestartsAndStopsTheWorkers()
    {
        using var deadline = new CancellationTokenSource(TestDeadline);
        var output = new StringWriter();

        // Rank 1 fails in generation 0; in generation 1 both sleep. The restart does not start a new clock.
        var script = "if [ \"$MLOPS_RENDEZVOUS_GENERATION$RANK\" = 01 ]; then exit 5; fi; exec sleep 600";
        var result = await new LocalLauncher(
            new LaunchOptions
            {
                FileName = "/bin/bash",
                Arguments = ["-c", script],
                ProcessCount = 2,
                MaxRestarts = 3,
                StopGracePeriod = TimeSpan.FromSeconds(1),
                Timeout = TimeSpan.FromSeconds(5),
            },
            output).RunAsync(deadline.Token);
        var text = output.ToString();
        Assert.False(deadline.IsCancellationRequested, text);
        Assert.True(result.TimedOut, text);
        Assert.Equal((false, 2, (int?)null, LaunchResult.TimeoutExitCode), (result.Succeeded, result.Attempts, result.FailedRank, result.ExitCode));
        Assert.Contains("[launcher] rank 1 failed with exit code 5; restarting all 2 workers (restart 1 of 3, generation 1)", text, StringComparison.Ordinal);
        Assert.Contains("[launcher] The job's timeout of 5 s passed in attempt 2; every worker was stopped.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellingStopsWorkersThatIgnoreSigtermAndThrows()
    {
        using var deadline = new CancellationTokenSource(TestDeadline);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var output = new StringWriter();
        var pids = Directory.CreateTempSubdirectory("mlops-launch-cancel-").FullName;
        try
        {
            var launch = new LocalLauncher(
                new LaunchOptions
                {
                    FileName = "/bin/bash",
                    Arguments = ["-c", $"trap '' TERM; echo $$ > {pids}/$RANK; exec sleep 600"],
                    ProcessCount = 2,
                    StopGracePeriod = TimeSpan.FromSeconds(1),
                },
                output).RunAsync(cancel.Token);
            while (Directory.GetFiles(pids).Count(f => File.ReadAllText(f).EndsWith('\n')) < 2 && !launch.IsCompleted)
            {
                await Task.Delay(50, deadline.Token);
            }

            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => launch);
            Assert.False(deadline.IsCancellationRequested, output.ToString());
            foreach (var file in Directory.GetFiles(pids))
            {
                // The launcher has reaped its workers by the time it returns: their pids no longer exist.
                Assert.False(Directory.Exists($"/proc/{File.ReadAllText(file).Trim()}"), $"worker {File.ReadAllText(file).Trim()} still runs");
            }
        }
        finally
        {
            Directory.Delete(pids, recursive: true);
        }
    }
}
