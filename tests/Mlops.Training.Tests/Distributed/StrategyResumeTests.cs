using System.Globalization;
using Mlops.Training.Distributed.Launch;
using Mlops.Training.Tests.Workers;

namespace Mlops.Training.Tests.Distributed;

/// <summary>A worker killed mid-training under the launcher: the job restarts, resumes from the checkpoint, and ends where an uninterrupted job ends.</summary>
[Collection(StrategyProcessCollection.Name)]
public sealed class StrategyResumeTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mlops-resume-");

    public void Dispose() => _folder.Delete(true);

    [Fact]
    public async Task A_killed_worker_restarts_the_job_which_resumes_and_ends_with_the_uninterrupted_parameters()
    {
        var (uninterrupted, uninterruptedLog) = await LaunchAsync("uninterrupted", maxRestarts: 0, dieRank: -1);
        Assert.True(uninterrupted.Succeeded, uninterruptedLog);
        Assert.Equal(1, uninterrupted.Attempts);

        var (resumed, log) = await LaunchAsync("killed", maxRestarts: 1, dieRank: 1);
        Assert.True(resumed.Succeeded, log);
        Assert.Equal(2, resumed.Attempts);
        Assert.Contains("[rank 1] KILLING myself at step 6", log, StringComparison.Ordinal);
        Assert.Contains("restarting all 2 workers", log, StringComparison.Ordinal);
        Assert.Matches(@"\[rank 0\] RESUMED adam at step [56] \(generation 1\)", log);

        var expected = File.ReadAllBytes(Path.Combine(_folder.FullName, "uninterrupted-adam.bin"));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(_folder.FullName, "killed-adam.bin")));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(_folder.FullName, "killed-adam.rank1.bin")));
    }

    private async Task<(LaunchResult Result, string Log)> LaunchAsync(string name, int maxRestarts, int dieRank)
    {
        var checkpoints = Directory.CreateDirectory(Path.Combine(_folder.FullName, name + "-checkpoints")).FullName;
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var launcher = new LocalLauncher(
            new LaunchOptions
            {
                FileName = "dotnet",
                Arguments = [StrategyProcesses.WorkerAssembly, "worker", "strategy-train", "adam", "12", "10", Path.Combine(_folder.FullName, name), checkpoints, $"{dieRank}", "6"],
                ProcessCount = 2,
                MaxRestarts = maxRestarts,
                StopGracePeriod = TimeSpan.FromSeconds(2),
                Environment = new Dictionary<string, string> { [StrategyWorkers.TimeoutVariable] = "20000" },
            },
            TextWriter.Synchronized(output));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var result = await launcher.RunAsync(deadline.Token);
        return (result, output.ToString());
    }
}
