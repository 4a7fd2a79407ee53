using System.Globalization;
using Mlops.Distributed.Launch;
using Mlops.Training.Tests.Workers;

namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// A worker killed mid-epoch under the launcher: the job restarts, <c>BackupAndRestore</c> resumes it where the last
/// backup left it, and it ends with the parameters of a job that was never interrupted.
/// </summary>
[Collection(StrategyProcessCollection.Name)]
public sealed class StrategyResumeTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mlops-resume-");

    public void Dispose() => _folder.Delete(true);

    [Fact]
    public async Task A_killed_worker_restarts_the_job_which_resumes_from_the_backup_and_ends_with_the_uninterrupted_parameters()
    {
        var (uninterrupted, uninterruptedLog) = await LaunchAsync("uninterrupted", maxRestarts: 0, dieRank: -1);
        Assert.True(uninterrupted.Succeeded, uninterruptedLog);
        Assert.Equal(1, uninterrupted.Attempts);
        Assert.Contains("[rank 0] RESUMED-FROM nothing (generation 0), epochs logged 1,2,3", uninterruptedLog, StringComparison.Ordinal);

        var (resumed, log) = await LaunchAsync("killed", maxRestarts: 1, dieRank: 1);
        Assert.True(resumed.Succeeded, log);
        Assert.Equal(2, resumed.Attempts);
        Assert.Contains("[rank 1] KILLING myself after epoch 2 step 6", log, StringComparison.Ordinal);
        Assert.Contains("[launcher] rank 1 failed", log, StringComparison.Ordinal);

        // Backups every 4 steps of the job (steps 4, 8, 12, 16, ...; 9 steps an epoch): the kill after step 15 leaves the
        // backup of step 12, so the job resumes in epoch 2 after its step 3 and logs epochs 2 and 3 again.
        foreach (var rank in new[] { 0, 1 })
        {
            Assert.Contains($"[rank {rank}] RESUMED-FROM epoch 2 step 3 (generation 1), epochs logged 2,3", log, StringComparison.Ordinal);
        }

        var expected = File.ReadAllBytes(Path.Combine(_folder.FullName, "uninterrupted.bin"));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(_folder.FullName, "killed.bin")));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(_folder.FullName, "killed.rank1.bin")));
        Assert.False(Directory.Exists(Path.Combine(_folder.FullName, "killed-backup")), "the backup folder is removed when training completes");
    }

    private async Task<(LaunchResult Result, string Log)> LaunchAsync(string name, int maxRestarts, int dieRank)
    {
        var backup = Directory.CreateDirectory(Path.Combine(_folder.FullName, name + "-backup")).FullName;
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var launcher = new LocalLauncher(
            new LaunchOptions
            {
                FileName = "dotnet",
                Arguments = [StrategyProcesses.WorkerAssembly, "worker", "strategy-fit-resume", Path.Combine(_folder.FullName, name), backup, $"{dieRank}"],
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
